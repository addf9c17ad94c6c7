/**
 * The composition root: `createScorer(config, ports)` builds the engine, catalog and aligner once
 * and returns `score(ref)`. The CLI and the Lambda handlers are thin callers of it; nothing here is
 * cached at module level, so two scorers never share state.
 */
import { createAligner, type PhraseAligner } from '../../aligner';
import { createEngine, type EngineConfig } from '../../engines/factory';
import type { SecretReader } from '../../engines/triton/tritonEngine';
import type { ReadScoreConfig } from '../config';
import type { ActivityResultV1 } from '../contracts/activityResult';
import { validateActivityResult } from '../contracts/activityResult';
import { type ItemCatalog, loadDefaultCatalog } from '../items';
import type { ActivityRef, ActivitySource, Logger, Metrics, ResultMeta, ResultSink } from '../ports';
import { noMetrics, silentLogger } from '../ports';
import { buildCostTable } from '../scoring';
import { parseActivity } from './activity';
import type { Engine } from './engine';
import { scoreActivity } from './score';

/** What the scorer talks to. */
export interface ScorerPorts {
  readonly activities: ActivitySource;
  /** Written in order after scoring; the first failure stops the rest and fails `score`. */
  readonly sinks?: readonly ResultSink[];
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Reads the Triton CA bundle when it is kept in Secrets Manager. */
  readonly secrets?: SecretReader;
  /** An already-loaded engine (tests, benchmarks); otherwise one is built from the config. */
  readonly engine?: Engine;
  readonly catalog?: ItemCatalog;
  readonly now?: () => Date;
}

/** One scored activity and what was written with it. */
export interface Scored {
  readonly result: ActivityResultV1;
  readonly meta: ResultMeta;
  /** Where the activity came from (a manifest path, `athena:activity_v/<id>`). */
  readonly source: string;
}

/** Scores activities by reference. */
export interface Scorer {
  readonly engine: Engine;
  readonly catalog: ItemCatalog;
  readonly aligner: PhraseAligner;
  /** Loads, scores and writes one activity. Input errors are ReadScoreInputErrors; sink failures propagate. */
  score(ref: ActivityRef): Promise<Scored>;
  close(): Promise<void>;
}

/** The engine settings of a config, as the engine factory takes them. */
export function engineConfigOf(config: ReadScoreConfig, secrets?: SecretReader): EngineConfig {
  const { engine } = config;
  return {
    kind: engine.kind,
    ...(engine.modelDir ? { modelDir: engine.modelDir } : {}),
    intraOpThreads: engine.threads,
    ...(engine.triton
      ? {
          triton: {
            url: engine.triton.url,
            ca: engine.triton.ca,
            ...(engine.triton.clientCert ? { clientCert: engine.triton.clientCert } : {}),
            ...(engine.triton.deadlineMs !== undefined ? { deadlineMs: engine.triton.deadlineMs } : {}),
            fallbackToCpu: engine.triton.fallbackToCpu,
          },
        }
      : {}),
    ...(secrets ? { secrets } : {}),
  };
}

/**
 * Builds a scorer: loads the engine (or takes `ports.engine`), the catalog and the aligner once.
 *
 * @example
 * const scorer = await createScorer(readScoreConfig({ from: 'env', env: process.env }), { activities, sinks });
 * const { result } = await scorer.score({ activityId, correlationId });
 */
export async function createScorer(config: ReadScoreConfig, ports: ScorerPorts): Promise<Scorer> {
  const base = ports.catalog ?? loadDefaultCatalog();
  // One catalog view and aligner per scoring policy, built on first use and kept (per scorer).
  const judges = new Map<string, { catalog: ItemCatalog; aligner: PhraseAligner }>();
  const judge = (policy: string) => {
    let j = judges.get(policy);
    if (!j) {
      const catalog = base.underPolicy(policy);
      j = { catalog, aligner: createAligner(buildCostTable(catalog), { backend: config.aligner }) };
      judges.set(policy, j);
    }
    return j;
  };
  const { catalog, aligner } = judge(config.scoring.policy);
  const engine = ports.engine ?? (await createEngine(engineConfigOf(config, ports.secrets)));
  const logger = ports.logger ?? silentLogger;
  const metrics = ports.metrics ?? noMetrics;
  const now = ports.now ?? (() => new Date());
  const sinks = ports.sinks ?? [];
  const { scoring } = config;

  return {
    engine,
    catalog,
    aligner,
    async score(ref) {
      const loaded = await ports.activities.load(ref);
      const activity = parseActivity(loaded.manifest, catalog, loaded.source);
      const judged = judge(activity.scoringPolicy ?? config.scoring.policy);
      const scored = await scoreActivity(activity, engine, loaded.audio, {
        catalog: judged.catalog,
        aligner: judged.aligner,
        padSec: scoring.padSec,
        maxAudioSec: scoring.maxAudioSec,
        limits: scoring.limits,
        source: loaded.source,
        secondLook: scoring.secondLook,
        logger,
      });
      const result = validateActivityResult(scored, loaded.source);
      const scoredAt = now().toISOString();
      const created = loaded.attributes?.createdAt;
      const meta: ResultMeta = {
        correlationId: ref.correlationId ?? result.activityId,
        scoredAt,
        partitionDate: (created && Number.isFinite(Date.parse(created)) ? new Date(created).toISOString() : scoredAt).slice(0, 10),
      };
      recordMetrics(metrics, result, config.engine.kind);
      for (const sink of sinks) await sink.write(result, meta);
      return { result, meta, source: loaded.source };
    },
    async close() {
      if (!ports.engine) await engine.close();
    },
  };
}

/** The domain brief's metrics of one scored activity (namespaces Activity, Inference, Alignment, Decoder). */
function recordMetrics(metrics: Metrics, result: ActivityResultV1, engineKind: string): void {
  const t = result.timings;
  metrics.add('Activity', 'TotalMs', 'Milliseconds', t.total);
  metrics.add('Activity', 'Phrases', 'Count', result.totals.phrases);
  metrics.add('Activity', 'Success', 'Count', result.status === 'unscored' ? 0 : 1);
  const reasons = new Map<string, number>();
  for (const p of result.phrases) if (p.status === 'unscored') reasons.set(p.reason?.code ?? 'unknown', (reasons.get(p.reason?.code ?? 'unknown') ?? 0) + 1);
  for (const [reason, count] of reasons) metrics.add('Activity', 'UnscoredPhrases', 'Count', count, { Reason: reason });
  metrics.add('Inference', 'ReadMs', 'Milliseconds', t.read);
  metrics.add('Inference', 'PreprocessMs', 'Milliseconds', t.preprocess + t.resample);
  metrics.add('Inference', 'ModelMs', 'Milliseconds', t.model);
  metrics.add('Inference', 'DecodeMs', 'Milliseconds', t.decode);
  const cpuKind = 'cpu-onnx';
  if (engineKind === 'triton' && result.engine === cpuKind) metrics.add('Inference', 'EngineFallbacks', 'Count', 1);
  metrics.add('Alignment', 'AlignMs', 'Milliseconds', t.align);
  metrics.add('Alignment', 'Items', 'Count', result.totals.items);
  metrics.add('Alignment', 'Errors', 'Count', result.totals.errors);
  if (result.totals.accuracy !== null) metrics.add('Alignment', 'Accuracy', 'Percent', result.totals.accuracy * 100);
  metrics.add(
    'Decoder',
    'ParseFailures',
    'Count',
    result.phrases.reduce((n, p) => n + p.unparsed.length, 0),
  );
}
