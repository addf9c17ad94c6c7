/** `readscore batch <folder|glob>`: scores many activities with bounded concurrency and a summary. */
import { basename, dirname } from 'node:path';
import { ConfigError } from '../../core/errors';
import { DEFAULT_BATCH_CONCURRENCY, type Flags } from './args';
import { ExitCode, failureOf, namingManifest, report } from './failure';
import { type PoolOutcome, startScoringPool } from './pool';
import { printable } from './printable';
import { progressBar } from './progress';
import { incomplete } from './score';
import { CLOSE_DEADLINE_MS, closeWithin, loadScorer, type PreparedRun, prepareScoring } from './scoring';

/** Most activities scored at once (each holds its audio and logits in memory). */
export const MAX_BATCH_CONCURRENCY = 64;

function concurrencyOf(flags: Flags): number {
  if (flags.concurrency === undefined) return DEFAULT_BATCH_CONCURRENCY;
  const n = flags.concurrency.trim() === '' ? Number.NaN : Number(flags.concurrency);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH_CONCURRENCY) {
    throw new ConfigError('bad-flag', '--concurrency', `expected an integer from 1 to ${MAX_BATCH_CONCURRENCY}, got "${flags.concurrency}"`);
  }
  return n;
}

/** A batch run: the activities, and how one is scored. */
interface BatchRun extends PreparedRun {
  score(manifest: string): Promise<PoolOutcome>;
  /** Per-thread memory, when the run has scoring threads. */
  memory?(): readonly { heapUsedMb: number; externalMb: number }[];
  close(): Promise<void>;
}

/** Every activity in this thread, `concurrency` at a time (the Triton engine: the work is the server's). */
async function inThisThread(prepared: PreparedRun, flags: Flags): Promise<BatchRun> {
  const scorer = await loadScorer(prepared.config, flags);
  return {
    ...prepared,
    score: async (manifest) => {
      try {
        const { result } = await scorer.score({ manifest });
        return { ok: true, items: result.totals.items, correct: result.totals.correct, incomplete: incomplete(result) };
      } catch (error) {
        return { ok: false, failure: namingManifest(failureOf(error, flags.debug), manifest) };
      }
    },
    close: () => closeWithin(scorer, CLOSE_DEADLINE_MS),
  };
}

/** One scoring thread per concurrent activity (the CPU engine), so N activities use N cores. */
async function threadedRun(prepared: PreparedRun, threads: number, flags: Flags): Promise<BatchRun> {
  const pool = await startScoringPool(threads, { flags, env: { ...process.env } });
  return { ...prepared, score: (manifest) => pool.score(manifest), memory: () => pool.memory(), close: () => pool.close() };
}

/**
 * Scores every activity `target` names. One failing activity — bad input or an internal fault —
 * is reported and counted, never stops the others: every good activity is scored (and written
 * with --out) and the summary is always printed. Exit 1 if any activity hit an internal fault,
 * else 2 if any was bad or partly unscored, else 0.
 */
export async function batchCommand(target: string, flags: Flags): Promise<number> {
  const concurrency = concurrencyOf(flags);
  const prepared = prepareScoring(target, flags);
  const threads = prepared.config.engine.kind === 'cpu' ? Math.min(concurrency, prepared.manifests.length) : 1;
  const run = threads > 1 ? await threadedRun(prepared, threads, flags) : await inThisThread(prepared, flags);
  const { manifests } = run;
  const total = manifests.length + run.duplicates.length;
  for (const problem of [...run.problems, ...run.duplicates]) report(failureOf(problem, flags.debug), '\nreadscore: ');
  const bar = progressBar(manifests.length);
  const started = Date.now();
  let next = 0;
  let failed = run.duplicates.length;
  let internal = 0;
  let partial = 0;
  let items = 0;
  let correct = 0;
  const worker = async () => {
    while (next < manifests.length) {
      const manifest = manifests[next++] as string;
      const outcome = await run.score(manifest);
      if (outcome.ok) {
        items += outcome.items;
        correct += outcome.correct;
        if (outcome.incomplete) partial++;
      } else {
        failed++;
        if (outcome.failure.exit === ExitCode.Internal) internal++;
        report(outcome.failure, '\nreadscore: ');
      }
      bar.tick(printable(basename(dirname(manifest))));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, manifests.length) }, worker));
  } finally {
    bar.done();
    await run.close();
  }
  const seconds = (Date.now() - started) / 1000;
  const summary = {
    activities: total,
    failed,
    partial,
    unreadableFolders: run.problems.length,
    items,
    correct,
    seconds,
    activitiesPerSecond: manifests.length / seconds,
    threads,
    /** Peak resident memory of the whole process (every scoring thread included), MB. */
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    /** Per scoring thread: its JS heap and external buffers at its last activity (ORT's native memory is not per thread). */
    ...(run.memory ? { threadMemoryMb: run.memory().map((m) => ({ heap: Math.round(m.heapUsedMb), external: Math.round(m.externalMb) })) } : {}),
  };
  if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `Scored ${total - failed}/${total} activities in ${seconds.toFixed(1)} s (${summary.activitiesPerSecond.toFixed(2)}/s, concurrency ${concurrency}${threads > 1 ? ` on ${threads} threads` : ''}); ${partial} partly unscored; ${correct}/${items} items correct or accepted${run.problems.length ? `; ${run.problems.length} folder(s) could not be read` : ''}\n`,
    );
  if (internal) return ExitCode.Internal;
  return failed || partial || run.problems.length ? ExitCode.BadInput : ExitCode.Scored;
}
