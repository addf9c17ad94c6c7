/**
 * Helpers of the hostile-input suites (files, paths, cli, triton): activities on disk, hostile files
 * (FIFOs, sockets), the CLI run in-process with its output captured, or as a child process with a
 * hard deadline (for the "nothing hangs" checks).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { encodeWav } from '../../core/audio';
import { main } from '../../handlers/cli/main';
import { craftWave, framesForElements } from '../support/testModel';

export const ROOT = join(__dirname, '..', '..');
export const ID = (n: number) => `${n}`.padStart(32, 'A');

/** A valid float WAV in which the test model hears `elements`. */
export const wav = (elements: readonly string[]) => encodeWav(craftWave(framesForElements(elements)), 16000, 'float32');

/** One phrase of a test activity: its items and its audio reference (written by the test). */
export interface PhraseSpec {
  readonly items: readonly string[];
  readonly audio: string;
}

/** Writes `<dir>/activity.json` with these phrases (audio files are the caller's) and returns its path. */
export function writeManifest(dir: string, phrases: readonly PhraseSpec[], id = ID(1)): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'activity.json');
  writeFileSync(path, JSON.stringify({ activityId: id, phrases: phrases.map((p, phraseIndex) => ({ phraseIndex, items: p.items, audio: p.audio })) }));
  return path;
}

/** Creates a FIFO (named pipe). */
export function mkfifo(path: string): string {
  execFileSync('mkfifo', [path]);
  return path;
}

/**
 * Opens and closes the writing end of each FIFO, releasing a reader blocked on it (today's code
 * opens FIFOs; this keeps a failing run from leaving threads blocked forever).
 */
export function releaseFifos(paths: readonly string[]): void {
  for (const path of paths) {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // no reader waiting (ENXIO) or gone: nothing to release
    }
  }
}

/**
 * Opens the writing end of `fifo` after `afterMs` from a child process (and gives up after 20 s):
 * a reader blocked on the FIFO — a synchronous read blocks the whole test process — then sees an
 * empty file and the test fails instead of hanging. Kill the child once the test is done.
 */
export function releaseFifoLater(fifo: string, afterMs: number): ChildProcess {
  const child = spawn('timeout', ['20', 'sh', '-c', `sleep ${afterMs / 1000}; : > "$0"`, fifo], { stdio: 'ignore' });
  child.unref();
  return child;
}

/** A Unix socket listening at `path`. */
export function listenOnSocket(path: string): Promise<Server> {
  const server = createServer((c) => c.destroy());
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

/** The CLI's outcome. */
export interface CliOutcome {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in this process with stdout and stderr captured. */
export async function runCli(...args: string[]): Promise<CliOutcome> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** A child CLI's outcome; `code` is null when it had to be killed at the deadline. */
export interface ChildOutcome {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/**
 * Runs `readscore <args>` as a child process (node with the tsx loader, in its own process group),
 * killed with its whole group after `deadlineMs`.
 */
export function spawnCli(args: readonly string[], deadlineMs: number): Promise<ChildOutcome> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'handlers', 'cli', 'main.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  child.stderr.on('data', (d) => {
    err += String(d);
  });
  const timer = setTimeout(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, deadlineMs);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: Date.now() - started });
    });
  });
}
