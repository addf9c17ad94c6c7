#!/usr/bin/env node
/**
 * The `readscore` command line: score activities on the embedded CPU default (or a Triton server),
 * check model folders. Exit codes: 0 scored, 2 bad input, 1 internal error.
 */
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MAX_AUDIO_SEC, DEFAULT_PAD_SEC, DEFAULT_SECOND_LOOK_MARGIN, type ReadScoreConfig, readScoreConfig } from '../../core/config';
import { ConfigError, ReadScoreInputError } from '../../core/errors';
import { readModelFolder } from '../../core/model';
import type { ActivityResult } from '../../core/scoring/types';
import { BUNDLED_MODEL } from '../../engines/factory';
import { writeTritonRepository } from '../../engines/triton/modelRepository';
import { findActivities } from './activities';
import { formatActivity } from './format';
import { checkModel } from './modelCheck';
import { progressBar } from './progress';
import { redriveCommand } from './redrive';
import { localScorer } from './run';

const USAGE = () => `Usage:
  readscore score <activity.json|folder> [--json] [--out DIR] [engine options]
  readscore batch <folder|glob> [--concurrency N] [--out DIR] [engine options]
  readscore model check <model-dir> [--threads N]
  readscore triton-repo <model-dir> <out-dir> [--max-batch-size N] [--preferred-batch 8,16] [--max-queue-delay-us N] [--instances N]
  readscore redrive --from DLQ_URL --to QUEUE_URL [--max N]

Engine options:
  --engine cpu|triton     inference engine (default cpu)
  --model DIR             model folder (default: the bundled ${BUNDLED_MODEL})
  --threads N             CPU engine intra-op threads (default 1)
  --triton-url URL        Triton server, https://host:port (plaintext http:// is refused)
  --ca FILE               CA bundle (PEM) that signed the Triton server certificate
  --client-cert FILE      client certificate (PEM) for mTLS, with --client-key FILE
  --deadline-ms N         deadline of each Triton call attempt (default 10000)
  --fallback-cpu          score on the local CPU engine while the Triton breaker is open
Scoring options:
  --pad-sec S             neighbour padding per side in seconds (default ${DEFAULT_PAD_SEC}, 0 disables)
  --max-audio-sec S       longest accepted audio file (default ${DEFAULT_MAX_AUDIO_SEC})
  --second-look-margin N  nats by which an item's own pronunciation may trail the best other
                          explanation of its window and still be accepted on the second look
                          (default ${DEFAULT_SECOND_LOOK_MARGIN}; 0 = plain maximum likelihood)
  --no-second-look        judge greedy CTC decoding only (no rescoring of substituted/omitted items)

Exit codes: 0 scored, 2 bad input (the message names the file and the problem), 1 internal error.`;

/** Exit codes of the CLI. */
export const ExitCode = { Scored: 0, Internal: 1, BadInput: 2 } as const;

interface Flags {
  json: boolean;
  out?: string;
  engine: string;
  model?: string;
  threads?: string;
  concurrency?: string;
  'pad-sec'?: string;
  'max-audio-sec'?: string;
  'second-look-margin'?: string;
  'no-second-look': boolean;
  'triton-url'?: string;
  ca?: string;
  'client-cert'?: string;
  'client-key'?: string;
  'deadline-ms'?: string;
  'fallback-cpu': boolean;
  'max-batch-size'?: string;
  'preferred-batch'?: string;
  'max-queue-delay-us'?: string;
  instances?: string;
  from?: string;
  to?: string;
  max?: string;
  help: boolean;
}

function number(flag: string, value: string | undefined, min: number, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new ConfigError('bad-flag', `--${flag}`, `expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${value}"`);
  }
  return n;
}

/** The one config of this run, from the flags (and ALIGNER_FORCE_TS / READSCORE_ALIGNER). */
function configFrom(flags: Flags): ReadScoreConfig {
  return readScoreConfig({ from: 'flags', flags: flags as unknown as Record<string, string | boolean | undefined>, env: process.env });
}

function tritonRepo(modelDir: string, outDir: string, flags: Flags): number {
  const maxBatchSize = number('max-batch-size', flags['max-batch-size'], 1, true);
  const maxQueueDelayMicroseconds = number('max-queue-delay-us', flags['max-queue-delay-us'], 0, true);
  const instanceCount = number('instances', flags.instances, 1, true);
  const preferredBatchSizes = flags['preferred-batch']?.split(',').map((p) => number('preferred-batch', p.trim(), 1, true) as number);
  const written = writeTritonRepository(readModelFolder(modelDir), outDir, {
    ...(maxBatchSize ? { maxBatchSize } : {}),
    ...(maxQueueDelayMicroseconds !== undefined ? { maxQueueDelayMicroseconds } : {}),
    ...(instanceCount ? { instanceCount } : {}),
    ...(preferredBatchSizes ? { preferredBatchSizes } : {}),
  });
  process.stdout.write(`wrote ${written.config}
wrote ${written.model}
`);
  return ExitCode.Scored;
}

/** True when the activity was not fully scored because of its input. */
const incomplete = (r: ActivityResult) => r.status !== 'scored';

async function score(target: string, flags: Flags): Promise<number> {
  const config = configFrom(flags);
  const manifests = findActivities(target);
  const scorer = await localScorer(config, { ...(flags.out ? { outDir: flags.out } : {}), onWrite: (path) => process.stderr.write(`wrote ${path}\n`) });
  let code: number = ExitCode.Scored;
  const results: ActivityResult[] = [];
  try {
    for (const manifest of manifests) {
      const { result } = await scorer.score({ manifest });
      results.push(result);
      if (incomplete(result)) code = ExitCode.BadInput;
      if (!flags.json) process.stdout.write(`${formatActivity(result, manifest)}\n\n`);
      for (const p of result.phrases) if (p.status === 'unscored') process.stderr.write(`${manifest}: phrase ${p.phraseIndex} unscored: ${p.reason?.message}\n`);
    }
  } finally {
    await scorer.close();
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
  else if (results.length > 1) {
    const items = results.reduce((n, r) => n + r.totals.items, 0);
    const correct = results.reduce((n, r) => n + r.totals.correct, 0);
    process.stdout.write(`All ${results.length} activities: ${correct}/${items} items correct or accepted\n`);
  }
  return code;
}

async function batch(target: string, flags: Flags): Promise<number> {
  const config = configFrom(flags);
  const manifests = findActivities(target);
  const concurrency = number('concurrency', flags.concurrency, 1, true) ?? 2;
  const scorer = await localScorer(config, flags.out ? { outDir: flags.out } : {});
  const bar = progressBar(manifests.length);
  const started = Date.now();
  let next = 0;
  let failed = 0;
  let partial = 0;
  let items = 0;
  let correct = 0;
  const worker = async () => {
    while (next < manifests.length) {
      const manifest = manifests[next++] as string;
      try {
        const { result } = await scorer.score({ manifest });
        items += result.totals.items;
        correct += result.totals.correct;
        if (incomplete(result)) partial++;
      } catch (error) {
        if (!(error instanceof ReadScoreInputError)) throw error;
        failed++;
        process.stderr.write(`\n${error.message}\n`);
      }
      bar.tick(basename(dirname(manifest)));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, manifests.length) }, worker));
  } finally {
    bar.done();
    await scorer.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const summary = { activities: manifests.length, failed, partial, items, correct, seconds, activitiesPerSecond: manifests.length / seconds };
  if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `Scored ${manifests.length - failed}/${manifests.length} activities in ${seconds.toFixed(1)} s (${summary.activitiesPerSecond.toFixed(2)}/s, concurrency ${concurrency}); ${partial} partly unscored; ${correct}/${items} items correct or accepted\n`,
    );
  return failed || partial ? ExitCode.BadInput : ExitCode.Scored;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        engine: { type: 'string', default: 'cpu' },
        model: { type: 'string' },
        threads: { type: 'string' },
        concurrency: { type: 'string' },
        'pad-sec': { type: 'string' },
        'max-audio-sec': { type: 'string' },
        'second-look-margin': { type: 'string' },
        'no-second-look': { type: 'boolean', default: false },
        'triton-url': { type: 'string' },
        ca: { type: 'string' },
        'client-cert': { type: 'string' },
        'client-key': { type: 'string' },
        'deadline-ms': { type: 'string' },
        'fallback-cpu': { type: 'boolean', default: false },
        'max-batch-size': { type: 'string' },
        'preferred-batch': { type: 'string' },
        'max-queue-delay-us': { type: 'string' },
        instances: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        max: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`readscore: ${(error as Error).message}\n\n${USAGE()}\n`);
    return ExitCode.BadInput;
  }
  const flags = parsed.values as unknown as Flags;
  const [command, ...rest] = parsed.positionals;
  if (flags.help || !command) {
    process.stdout.write(`${USAGE()}\n`);
    return command || flags.help ? ExitCode.Scored : ExitCode.BadInput;
  }
  try {
    if (command === 'score' && rest.length === 1) return await score(rest[0] as string, flags);
    if (command === 'batch' && rest.length === 1) return await batch(rest[0] as string, flags);
    if (command === 'model' && rest[0] === 'check' && rest.length === 2) return await checkModel(rest[1] as string, flags.threads);
    if (command === 'triton-repo' && rest.length === 2) return tritonRepo(rest[0] as string, rest[1] as string, flags);
    if (command === 'redrive' && rest.length === 0) return await redriveCommand(flags, process.env);
    process.stderr.write(`readscore: unknown command "${parsed.positionals.join(' ')}"\n\n${USAGE()}\n`);
    return ExitCode.BadInput;
  } catch (error) {
    if (error instanceof ReadScoreInputError) {
      process.stderr.write(`readscore: ${error.message} [${error.code}]\n`);
      return ExitCode.BadInput;
    }
    process.stderr.write(`readscore: internal error: ${(error as Error).stack ?? error}\n`);
    return ExitCode.Internal;
  }
}

if (require.main === module) {
  // grpc-js passes an IP literal as the TLS server name when the Triton URL is an IP address, and
  // Node warns about it on every run (DEP0123); the certificate's IP SAN is still verified.
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code !== 'DEP0123') process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`readscore: internal error: ${error}\n`);
      process.exitCode = ExitCode.Internal;
    },
  );
}
