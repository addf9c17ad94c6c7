/** The CLI's scorer: createScorer over local manifests, audio files and (with --out) a result folder. */
import { manifestActivitySource } from '../../adapters/local/manifestSource';
import { resultFolderSink } from '../../adapters/local/resultFolder';
import type { ReadScoreConfig } from '../../core/config';
import type { Engine } from '../../core/pipeline/engine';
import { createScorer, type Scorer } from '../../core/pipeline/scorer';
import type { Logger } from '../../core/ports';

/** Warnings and errors as `warning: ...` lines on stderr; info and debug are dropped. */
export const stderrLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => process.stderr.write(`warning: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`),
  error: (message, fields) => process.stderr.write(`error: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`),
};

/** Options of {@link localScorer}. */
export interface LocalScorerOptions {
  /** Writes `<activityId>.json` here after each activity. */
  readonly outDir?: string;
  readonly onWrite?: (path: string) => void;
  /** Use this loaded engine instead of building one from the config (tests, benchmarks). */
  readonly engine?: Engine;
  readonly logger?: Logger;
}

/**
 * A scorer of local activity manifests: `scorer.score({ manifest: 'examples/x/activity.json' })`.
 */
export function localScorer(config: ReadScoreConfig, options: LocalScorerOptions = {}): Promise<Scorer> {
  return createScorer(config, {
    activities: manifestActivitySource(),
    sinks: options.outDir ? [resultFolderSink(options.outDir, options.onWrite)] : [],
    logger: options.logger ?? stderrLogger,
    ...(options.engine ? { engine: options.engine } : {}),
  });
}
