/** The CLI's scorer: createScorer over local manifests, audio files and (with --out) a result folder. */
import { manifestActivitySource } from '../../adapters/local/manifestSource';
import { resultFolderSink } from '../../adapters/local/resultFolder';
import type { ReadScoreConfig } from '../../core/config';
import type { Engine } from '../../core/pipeline/engine';
import { createScorer, type Scorer } from '../../core/pipeline/scorer';
import type { LogFields, Logger } from '../../core/ports';
import { printable } from './printable';

const line = (level: string, message: string, fields?: LogFields) => `${level}: ${printable(message)}${fields ? ` ${printable(JSON.stringify(fields))}` : ''}\n`;

/** Warnings and errors as `warning: ...` lines on stderr (control characters escaped); info and debug are dropped. */
export const stderrLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => process.stderr.write(line('warning', message, fields)),
  error: (message, fields) => process.stderr.write(line('error', message, fields)),
};

/** Options of {@link localScorer}. */
export interface LocalScorerOptions {
  /** Writes `<activityId>.json` here after each activity. */
  readonly outDir?: string;
  readonly onWrite?: (path: string) => void;
  /** Audio of every manifest must resolve inside this folder (default: each manifest's own folder). */
  readonly audioRoot?: string;
  /** Largest audio file read, bytes. */
  readonly maxAudioBytes?: number;
  /** Use this loaded engine instead of building one from the config (tests, benchmarks). */
  readonly engine?: Engine;
  readonly logger?: Logger;
}

/**
 * A scorer of local activity manifests: `scorer.score({ manifest: 'examples/x/activity.json' })`.
 */
export function localScorer(config: ReadScoreConfig, options: LocalScorerOptions = {}): Promise<Scorer> {
  return createScorer(config, {
    activities: manifestActivitySource({
      ...(options.audioRoot !== undefined ? { audioRoot: options.audioRoot } : {}),
      ...(options.maxAudioBytes !== undefined ? { maxAudioBytes: options.maxAudioBytes } : {}),
    }),
    sinks: options.outDir ? [resultFolderSink(options.outDir, options.onWrite)] : [],
    logger: options.logger ?? stderrLogger,
    ...(options.engine ? { engine: options.engine } : {}),
  });
}
