/**
 * `batch` on the CPU engine with concurrency N: N worker threads, each with its own scorer (its own
 * ONNX Runtime session, aligner and catalog), so N activities use N cores. An async pool in one
 * thread cannot: ORT's `session.run` with one intra-op thread and the decoding and alignment keep
 * the one JavaScript thread busy. The main thread only hands out manifests and prints progress.
 */
import { Worker } from 'node:worker_threads';
import { ConfigError, ReadScoreInputError } from '../../core/errors';
import type { Flags } from './args';
import type { Failure } from './failure';

/** How long a thread may take to close before it is stopped (the CLI's engine close deadline). */
const CLOSE_DEADLINE_MS = 5_000;

/** What a worker reports for one manifest. */
export type PoolOutcome = { readonly ok: true; readonly items: number; readonly correct: number; readonly incomplete: boolean } | { readonly ok: false; readonly failure: Failure };

/** Messages from a worker. */
export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'init-failed'; readonly error: SerializedError }
  | { readonly type: 'outcome'; readonly id: number; readonly outcome: PoolOutcome }
  | { readonly type: 'memory'; readonly heapUsedMb: number; readonly externalMb: number };

/** A load failure crossing the thread boundary: input errors keep their class family and code. */
export interface SerializedError {
  readonly input?: string;
  readonly code?: string;
  readonly message: string;
  readonly config: boolean;
}

/** What each worker is started with. */
export interface WorkerInit {
  readonly flags: Flags;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The worker next to this file: the compiled .js, or (tests run the TypeScript sources) the .ts
 * loaded through tsx's CommonJS hook, since Node 20 does not apply `--import` to worker threads.
 */
function newWorker(init: WorkerInit): Worker {
  const options = { workerData: init, stdout: false, stderr: false };
  if (!__filename.endsWith('.ts')) return new Worker(`${__dirname}/poolWorker.js`, options);
  const script = JSON.stringify(`${__dirname}/poolWorker.ts`);
  return new Worker(`require('tsx/cjs'); require(${script});`, { ...options, eval: true });
}

/** Rebuilds a worker's load failure in the main thread (the CLI maps it to exit 2 or 1 as usual). */
function rebuild(error: SerializedError): Error {
  if (error.input !== undefined && error.code !== undefined) {
    const prefix = `${error.input}: `;
    const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
    return error.config ? new ConfigError(error.code, error.input, message) : new ReadScoreInputError(error.code, error.input, message);
  }
  return new Error(error.message);
}

/** A pool of scoring threads. */
export interface ScoringPool {
  /** Scores one manifest on the next free thread. */
  score(manifest: string): Promise<PoolOutcome>;
  /** Per-thread memory at the last report (JS heap and external buffers, MB). */
  memory(): readonly { heapUsedMb: number; externalMb: number }[];
  close(): Promise<void>;
}

interface Slot {
  readonly worker: Worker;
  busy?: { id: number; manifest: string; resolve: (o: PoolOutcome) => void };
  memory: { heapUsedMb: number; externalMb: number };
}

/**
 * Starts `size` threads and waits until every one has loaded its scorer. A load failure (bad
 * model folder, a Triton URL that cannot be reached) rejects, with the worker's typed error.
 * `spawnWorker` starts one thread (the scoring worker next to this file; tests pass stand-ins).
 */
export async function startScoringPool(size: number, init: WorkerInit, spawnWorker: (init: WorkerInit) => Worker = newWorker): Promise<ScoringPool> {
  const slots: Slot[] = [];
  const waiting: { manifest: string; resolve: (o: PoolOutcome) => void }[] = [];
  let nextId = 0;
  let closing = false;

  const dispatch = () => {
    for (const slot of slots) {
      if (slot.busy || waiting.length === 0) continue;
      const task = waiting.shift() as { manifest: string; resolve: (o: PoolOutcome) => void };
      slot.busy = { id: nextId++, ...task };
      slot.worker.postMessage({ type: 'score', id: slot.busy.id, manifest: task.manifest });
    }
  };

  const start = (): Promise<Slot> =>
    new Promise((resolve, reject) => {
      const worker = spawnWorker(init);
      const slot: Slot = { worker, memory: { heapUsedMb: 0, externalMb: 0 } };
      let ready = false;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') {
          ready = true;
          resolve(slot);
        } else if (message.type === 'init-failed') {
          reject(rebuild(message.error));
        } else if (message.type === 'memory') {
          slot.memory = { heapUsedMb: message.heapUsedMb, externalMb: message.externalMb };
        } else if (message.type === 'outcome' && slot.busy?.id === message.id) {
          const done = slot.busy;
          slot.busy = undefined;
          done.resolve(message.outcome);
          dispatch();
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        else lost(slot, error);
      });
      worker.on('exit', (code) => {
        if (!ready) reject(new Error(`scoring thread exited with code ${code} before it was ready`));
        else if (!closing) lost(slot, new Error(`scoring thread exited with code ${code}`));
      });
    });

  /** A thread that died mid-activity: that activity is an internal failure; a fresh thread takes its place. */
  const lost = (slot: Slot, error: Error) => {
    const index = slots.indexOf(slot);
    if (index < 0) return;
    slots.splice(index, 1);
    if (slot.busy) slot.busy.resolve({ ok: false, failure: { exit: 1, line: `${slot.busy.manifest}: internal error: the scoring thread failed: ${error.message}` } });
    if (closing) return;
    start().then(
      (fresh) => {
        slots.push(fresh);
        dispatch();
      },
      (e: Error) => {
        for (const task of waiting.splice(0)) task.resolve({ ok: false, failure: { exit: 1, line: `${task.manifest}: internal error: no scoring thread: ${e.message}` } });
      },
    );
  };

  const started = await Promise.allSettled(Array.from({ length: size }, start));
  for (const s of started) if (s.status === 'fulfilled') slots.push(s.value);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    closing = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw failed.reason;
  }
  return {
    score: (manifest) =>
      new Promise((resolve) => {
        waiting.push({ manifest, resolve });
        dispatch();
      }),
    memory: () => slots.map((s) => s.memory),
    close: async () => {
      closing = true;
      await Promise.all(
        slots.map(
          (s) =>
            new Promise<void>((resolve) => {
              // A thread that does not finish closing within the deadline is stopped.
              const timer = setTimeout(() => void s.worker.terminate(), CLOSE_DEADLINE_MS);
              s.worker.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              s.worker.postMessage({ type: 'close' });
            }),
        ),
      );
    },
  };
}
