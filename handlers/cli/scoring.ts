/**
 * What `score` and `batch` share: the config from the flags, the up-front path checks, the
 * activities found, and a scorer whose engine failing to load is reported as configuration.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ReadScoreConfig, readScoreConfig } from '../../core/config';
import { ActivityInputError, ConfigError, type ReadScoreInputError } from '../../core/errors';
import { EngineError } from '../../core/pipeline/engine';
import type { Scorer } from '../../core/pipeline/scorer';
import { findActivities } from './activities';
import type { Flags } from './args';
import { checkScoringPaths } from './preflight';
import { type LocalScorerOptions, localScorer } from './run';

/** How long closing the engine may take before the CLI stops waiting for it. */
export const CLOSE_DEADLINE_MS = 5_000;

/** The one config of this run, from the flags (and ALIGNER_FORCE_TS / READSCORE_ALIGNER). */
export function configFrom(flags: Flags): ReadScoreConfig {
  return readScoreConfig({ from: 'flags', flags: flags as unknown as Record<string, string | boolean | undefined>, env: process.env });
}

/** A scoring run, ready to go. */
export interface ScoringRun {
  readonly config: ReadScoreConfig;
  readonly manifests: readonly string[];
  /** Folders below the target that could not be listed (reported; their activities are not scored). */
  readonly problems: readonly ReadScoreInputError[];
  /** Activities left out because an earlier one has their activityId (see {@link sharedResultFiles}). */
  readonly duplicates: readonly ReadScoreInputError[];
  readonly scorer: Scorer;
  /** Closes the scorer, waiting at most {@link CLOSE_DEADLINE_MS}. */
  close(): Promise<void>;
}

/** The flag that names the engine's server, for a load failure message. */
function engineFlag(config: ReadScoreConfig): string {
  return config.engine.kind === 'triton' ? '--triton-url' : '--engine';
}

/** The checked flags and paths of a run and the activities it will score, before any engine is loaded. */
export interface PreparedRun {
  readonly config: ReadScoreConfig;
  readonly manifests: readonly string[];
  readonly problems: readonly ReadScoreInputError[];
  readonly duplicates: readonly ReadScoreInputError[];
}

/**
 * With --out, each result is written to `<out>/<activityId>.json`, so two manifests with the same
 * activityId would overwrite each other's result (one is lost) or, scored on two threads at once,
 * race for the file. The first manifest with an id keeps it; each later one is left out with an
 * error naming both. A manifest that cannot be read or parsed here is kept: scoring reports it.
 */
export function sharedResultFiles(manifests: readonly string[], outDir: string): { manifests: string[]; duplicates: ActivityInputError[] } {
  const first = new Map<string, string>();
  const kept: string[] = [];
  const duplicates: ActivityInputError[] = [];
  for (const manifest of manifests) {
    const id = activityIdOf(manifest);
    const earlier = id === undefined ? undefined : first.get(id);
    if (id === undefined || earlier === undefined) {
      if (id !== undefined) first.set(id, manifest);
      kept.push(manifest);
      continue;
    }
    duplicates.push(
      new ActivityInputError(
        'duplicate-activity-id',
        manifest,
        `activityId ${id} is also the id of ${earlier}; both results would be written to ${join(outDir, `${id}.json`)}, so this one is not scored`,
      ),
    );
  }
  return { manifests: kept, duplicates };
}

function activityIdOf(manifest: string): string | undefined {
  try {
    const id = (JSON.parse(readFileSync(manifest, 'utf8')) as { activityId?: unknown } | null)?.activityId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Checks the flags and paths and finds the activities, in that order: bad input is refused before anything is loaded. */
export function prepareScoring(target: string, flags: Flags): PreparedRun {
  const config = configFrom(flags);
  checkScoringPaths({
    ...(flags.out !== undefined ? { out: flags.out } : {}),
    ...(flags['audio-root'] !== undefined ? { audioRoot: flags['audio-root'] } : {}),
    ...(config.engine.modelDir !== undefined ? { model: config.engine.modelDir } : {}),
  });
  const found = findActivities(target);
  const { manifests, duplicates } = flags.out === undefined ? { manifests: found.manifests, duplicates: [] } : sharedResultFiles(found.manifests, flags.out);
  return { config, manifests, problems: found.problems, duplicates };
}

/**
 * Loads the scorer of a run (in this thread or a scoring thread). An engine that cannot be loaded
 * (Triton unreachable, not ready) is the user's configuration: a ConfigError naming the flag.
 */
export async function loadScorer(config: ReadScoreConfig, flags: Flags, options: Pick<LocalScorerOptions, 'onWrite'> = {}): Promise<Scorer> {
  try {
    return await localScorer(config, {
      ...(flags.out !== undefined ? { outDir: flags.out } : {}),
      ...(flags['audio-root'] !== undefined ? { audioRoot: flags['audio-root'] } : {}),
      ...options,
    });
  } catch (error) {
    if (error instanceof EngineError) throw new ConfigError(error.code, engineFlag(config), `the engine cannot be used: ${error.message}`);
    throw error;
  }
}

/** {@link prepareScoring}, then {@link loadScorer}. */
export async function openScoring(target: string, flags: Flags, options: Pick<LocalScorerOptions, 'onWrite'> = {}): Promise<ScoringRun> {
  const { config, manifests, problems, duplicates } = prepareScoring(target, flags);
  const scorer = await loadScorer(config, flags, options);
  return { config, manifests, problems, duplicates, scorer, close: () => closeWithin(scorer, CLOSE_DEADLINE_MS) };
}

/** Closes `scorer`, giving up (with a warning) after `ms`: a stuck connection must not keep the CLI alive. */
export async function closeWithin(scorer: Pick<Scorer, 'close'>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref();
  });
  try {
    const outcome = await Promise.race([scorer.close().then(() => 'closed' as const), timedOut]);
    if (outcome === 'timeout') process.stderr.write(`warning: the engine did not close within ${ms} ms; exiting anyway\n`);
  } finally {
    clearTimeout(timer);
  }
}
