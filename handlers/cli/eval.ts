/**
 * `readscore eval <folder>`: scores labelled activities (an `expected.json` beside each manifest)
 * and measures the scorer against the labels: false rejection and missed-error rates with 95 %
 * Wilson intervals, overall, per item type and per item; the confusion list; and the trade-off
 * table over second-look margins. The model runs once per activity: every margin is scored from
 * the same engine output (core/evaluation/replayEngine.ts).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ReadScoreConfig, setting } from '../../core/config';
import { ActivityInputError, ConfigError } from '../../core/errors';
import {
  type ActivityLabels,
  EVALUATION_REPORT_FORMAT,
  type EvaluationReport,
  evaluate,
  LabelError,
  LabelErrorCode,
  type LabelledItem,
  labelResult,
  type NotEvaluated,
  parseLabels,
  replayEngine,
  type SecondLookSetting,
  sameSetting,
  tradeOffPoint,
  tradeOffSettings,
} from '../../core/evaluation';
import { FileProblemKind, fileProblemOf, readRegularFileSync } from '../../core/files';
import { silentLogger } from '../../core/ports';
import type { ActivityResult } from '../../core/scoring/types';
import { DEFAULT_EVAL_MARGINS, type Flags } from './args';
import { evaluationChart } from './evalChart';
import { formatEvaluation } from './evalFormat';
import { ExitCode, failureOf, namingManifest, report } from './failure';
import { printable } from './printable';
import { localScorer, stderrLogger } from './run';
import { incomplete } from './score';
import { CLOSE_DEADLINE_MS, closeWithin, loadScorer, prepareScoring } from './scoring';

/** The labels file beside each manifest. */
export const LABELS_FILE = 'expected.json';
/** Largest labels file read (as for manifests). */
const MAX_LABELS_BYTES = 16 * 1024 * 1024;

/** The margins of --margins (a comma-separated list), each range-checked as --second-look-margin is. */
export function marginsOf(flags: Flags): number[] {
  if (flags.margins === undefined) return [...DEFAULT_EVAL_MARGINS];
  const parse = setting('scoring.secondLookMargin').parse;
  const parts = flags.margins.split(',').map((s) => s.trim());
  return parts.map((part) => {
    const parsed = parse(part);
    if ('error' in parsed) throw new ConfigError('bad-flag', '--margins', `a comma-separated list of second-look margins: ${parsed.error}`);
    return parsed.value as number;
  });
}

/** The labels beside `manifest`: undefined when there is no labels file; a LabelError when it cannot be used. */
export function readLabels(manifest: string): { path: string; labels: ActivityLabels } | undefined {
  const path = join(dirname(manifest), LABELS_FILE);
  let text: string;
  try {
    text = readRegularFileSync(path, { maxBytes: MAX_LABELS_BYTES }).toString('utf8');
  } catch (error) {
    const problem = fileProblemOf(error);
    if (!problem) throw error;
    if (problem.kind === FileProblemKind.Missing) return undefined;
    throw new LabelError(LabelErrorCode.Unreadable, path, `cannot read the labels: ${problem.detail}`);
  }
  return { path, labels: parseLabels(text, path) };
}

/** A config like `config` with the second look set to `secondLook`. */
const withSecondLook = (config: ReadScoreConfig, secondLook: SecondLookSetting): ReadScoreConfig => ({ ...config, scoring: { ...config.scoring, secondLook } });

/** One labelled activity, scored at the operating point and at every trade-off setting. */
interface Evaluated {
  readonly result: ActivityResult;
  readonly operating: readonly LabelledItem[];
  readonly unlabelled: number;
  readonly perSetting: readonly (readonly LabelledItem[])[];
}

/**
 * Evaluates every labelled activity `target` names. An activity without expected.json is reported
 * and skipped (counted); bad labels, a manifest that cannot be scored, or an internal fault on one
 * activity are reported and the others are still evaluated. Exit 1 for an internal fault, else 2
 * for any bad input (labels, manifests, unscored phrases, no labelled activity at all), else 0.
 */
export async function evalCommand(target: string, flags: Flags): Promise<number> {
  const margins = marginsOf(flags);
  const prepared = prepareScoring(target, flags);
  const { config } = prepared;
  let code: number = ExitCode.Scored;
  const worse = (c: number) => {
    if (c === ExitCode.Internal || (c === ExitCode.BadInput && code === ExitCode.Scored)) code = c;
  };
  for (const problem of prepared.problems) worse(report(failureOf(problem, flags.debug)));

  const skipped: NotEvaluated[] = [];
  const failed: NotEvaluated[] = [];
  const fail = (manifest: string, error: unknown) => {
    const failure = namingManifest(failureOf(error, flags.debug), manifest);
    worse(report(failure));
    failed.push({ manifest, reason: failure.line, ...(typeof (error as { code?: unknown }).code === 'string' ? { code: (error as { code: string }).code } : {}) });
  };
  const labelled: { manifest: string; path: string; labels: ActivityLabels }[] = [];
  for (const manifest of prepared.manifests) {
    try {
      const found = readLabels(manifest);
      if (found) labelled.push({ manifest, ...found });
      else {
        skipped.push({ manifest, reason: `no ${LABELS_FILE} beside it` });
        process.stderr.write(`readscore: ${printable(manifest)}: no ${LABELS_FILE} beside it; activity skipped\n`);
      }
    } catch (error) {
      fail(manifest, error);
    }
  }
  if (labelled.length === 0) {
    const why = failed.length ? 'every labels file was refused' : `no activity has an ${LABELS_FILE} beside its manifest`;
    throw new ActivityInputError('no-labels', target, `nothing to evaluate: ${why} (${prepared.manifests.length} activities found)`);
  }

  // The engine of the run, loaded once (its failure reported as configuration), shared by one
  // scorer per second-look setting through the replay engine.
  const { out, ...scoringFlags } = flags;
  const owner = await loadScorer(config, scoringFlags as Flags);
  const engine = replayEngine(owner.engine);
  const evaluated: Evaluated[] = [];
  const settings = tradeOffSettings(margins, config.scoring.secondLook);
  try {
    const audioRoot = flags['audio-root'] !== undefined ? { audioRoot: flags['audio-root'] } : {};
    const operating = await localScorer(config, { engine, logger: stderrLogger, ...audioRoot });
    const scorers = await Promise.all(settings.map((s) => localScorer(withSecondLook(config, s), { engine, logger: silentLogger, ...audioRoot })));
    const kindOf = (item: string) => operating.catalog.item(item).kind;
    for (const { manifest, path, labels } of labelled) {
      try {
        const { result } = await operating.score({ manifest });
        // Checked before the other settings are scored: a mismatched labels file costs one scoring.
        const { items, unlabelled } = labelResult(labels, result, path, kindOf);
        const perSetting: LabelledItem[][] = [];
        for (const scorer of scorers) perSetting.push([...labelResult(labels, (await scorer.score({ manifest })).result, path, kindOf).items]);
        evaluated.push({ result, operating: items, unlabelled, perSetting });
        if (incomplete(result)) worse(ExitCode.BadInput);
        for (const p of result.phrases) {
          if (p.status === 'unscored') process.stderr.write(`${printable(manifest)}: phrase ${p.phraseIndex} unscored: ${printable(p.reason?.message ?? '')}\n`);
        }
      } catch (error) {
        fail(manifest, error);
      } finally {
        engine.forget();
      }
    }
  } finally {
    await closeWithin(owner, CLOSE_DEADLINE_MS);
  }
  if (evaluated.length === 0) {
    throw new ActivityInputError('no-labels', target, `nothing to evaluate: none of the ${labelled.length} labelled activities could be scored`);
  }

  const first = (evaluated[0] as Evaluated).result;
  const operatingItems = evaluated.flatMap((e) => e.operating);
  const result: EvaluationReport = {
    format: EVALUATION_REPORT_FORMAT,
    target,
    model: first.model,
    modelSha256: first.modelSha256,
    engine: [...new Set(evaluated.map((e) => e.result.engine))].join(', '),
    catalog: first.catalog,
    scoringPolicies: [...new Set(evaluated.map((e) => e.result.scoringPolicy ?? config.scoring.policy))].sort(),
    secondLook: config.scoring.secondLook,
    activities: { found: prepared.manifests.length, evaluated: evaluated.length, skipped, failed },
    items: { labelled: operatingItems.length, unlabelled: evaluated.reduce((n, e) => n + e.unlabelled, 0) },
    ...evaluate(operatingItems),
    tradeOff: settings.map((s, i) =>
      tradeOffPoint(
        s,
        evaluated.flatMap((e) => e.perSetting[i] as LabelledItem[]),
        sameSetting(s, config.scoring.secondLook),
      ),
    ),
  };
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (flags.json) process.stdout.write(json);
  else process.stdout.write(`${formatEvaluation(result)}\n`);
  if (out !== undefined) {
    for (const [name, content] of [
      ['eval.json', json],
      ['eval.svg', evaluationChart(result)],
    ] as const) {
      const path = join(out, name);
      try {
        writeFileSync(path, content);
      } catch (error) {
        const problem = fileProblemOf(error);
        if (!problem) throw error;
        throw new ConfigError('bad-flag', '--out', `cannot write ${path}: ${problem.detail}`);
      }
      process.stderr.write(`wrote ${printable(path)}\n`);
    }
  }
  return code;
}
