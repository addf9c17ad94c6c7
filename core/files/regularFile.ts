/**
 * Bounded reads of local files: regular files only (a FIFO, socket or device is refused before it
 * is opened, so nothing blocks or streams forever), at most `maxBytes`, every operating-system
 * failure turned into a {@link FileProblem} its caller maps to a typed input error.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';

/** Why a file could not be read, in terms a caller maps to its own error code. */
export const FileProblemKind = {
  Missing: 'missing',
  NotAFile: 'not-a-file',
  Unreadable: 'unreadable',
  TooLarge: 'too-large',
} as const;
export type FileProblemKind = (typeof FileProblemKind)[keyof typeof FileProblemKind];

/** A local file that cannot be read; `detail` is a short lower-case reason ("permission denied"). */
export class FileProblem extends Error {
  constructor(
    readonly kind: FileProblemKind,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'FileProblem';
  }
}

/** What a non-regular file is, for the message refusing it. */
export function fileKind(s: Pick<Stats, 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice' | 'isSymbolicLink'>): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

const ERRNO_PROBLEMS: Readonly<Record<string, readonly [FileProblemKind, string]>> = {
  ENOENT: [FileProblemKind.Missing, 'not found'],
  ENOTDIR: [FileProblemKind.Missing, 'not found (a part of the path is a file, not a folder)'],
  EISDIR: [FileProblemKind.NotAFile, 'is a directory'],
  ENXIO: [FileProblemKind.NotAFile, 'is not a regular file (a socket or device)'],
  ENODEV: [FileProblemKind.NotAFile, 'is not a regular file (a device)'],
  EACCES: [FileProblemKind.Unreadable, 'permission denied'],
  EPERM: [FileProblemKind.Unreadable, 'permission denied'],
  ELOOP: [FileProblemKind.Unreadable, 'too many levels of symbolic links (a symlink loop?)'],
  ENAMETOOLONG: [FileProblemKind.Unreadable, 'the file name is too long'],
  EMFILE: [FileProblemKind.Unreadable, 'too many open files (retried; lower the concurrency or raise the limit)'],
  ENFILE: [FileProblemKind.Unreadable, 'too many open files in the system (retried)'],
  EIO: [FileProblemKind.Unreadable, 'input/output error'],
  EAGAIN: [FileProblemKind.Unreadable, 'the file is not ready to be read (EAGAIN)'],
  ERR_FS_FILE_TOO_LARGE: [FileProblemKind.TooLarge, 'the file is too large to read'],
  ERR_INVALID_ARG_VALUE: [FileProblemKind.Unreadable, 'the path is not valid (it contains a NUL character?)'],
  ERR_INVALID_ARG_TYPE: [FileProblemKind.Unreadable, 'the path is not valid'],
};

/**
 * Maps an error from node:fs to a FileProblem: every errno (`EACCES`, `ELOOP`, `EMFILE`, ...) and
 * Node's own path and size errors. Anything else (no string `code`) is not a file problem: the
 * result is undefined, so a genuine fault stays a fault.
 *
 * @example
 * fileProblemOf(Object.assign(new Error('x'), { code: 'EACCES' })) // FileProblem { kind: 'unreadable', detail: 'permission denied' }
 */
export function fileProblemOf(error: unknown): FileProblem | undefined {
  if (error instanceof FileProblem) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  const known = ERRNO_PROBLEMS[code];
  if (known) return new FileProblem(known[0], known[1]);
  return /^E[A-Z0-9]+$/.test(code) ? new FileProblem(FileProblemKind.Unreadable, `cannot be read (${code})`) : undefined;
}

/** Throws the FileProblem of `error`, or `error` itself when it is not one. */
function rethrow(error: unknown): never {
  throw fileProblemOf(error) ?? error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries `fn` while the process is out of file descriptors (EMFILE/ENFILE): 5 tries within about 0.6 s. */
async function retryingOutOfDescriptors<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== 'EMFILE' && code !== 'ENFILE') || attempt >= 5) throw error;
      await sleep(20 * 2 ** attempt);
    }
  }
}

/** Options of {@link readRegularFile}. */
export interface ReadRegularFileOptions {
  /** Files larger than this are refused before they are read. */
  readonly maxBytes: number;
  /** Refuse a symbolic link as the last path component (the path is already resolved). */
  readonly noFollow?: boolean;
}

function refuseIrregular(s: Stats, maxBytes: number): void {
  if (!s.isFile()) throw new FileProblem(FileProblemKind.NotAFile, `is ${fileKind(s)}, not a regular file`);
  if (s.size > maxBytes) throw new FileProblem(FileProblemKind.TooLarge, `the file is ${formatBytes(s.size)}; the largest file read is ${formatBytes(maxBytes)}`);
}

/**
 * Reads a regular file of at most `maxBytes`. It is stat'ed first (a FIFO, socket or device is
 * refused without being opened), opened non-blocking, and checked again on the open descriptor (a
 * file swapped for a FIFO in between is refused too). Failures are FileProblems.
 */
export async function readRegularFile(path: string, options: ReadRegularFileOptions): Promise<Buffer> {
  if (path.includes('\0')) throw new FileProblem(FileProblemKind.Unreadable, 'the path contains a NUL character');
  const before = await stat(path).catch(rethrow);
  refuseIrregular(before, options.maxBytes);
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (options.noFollow ? constants.O_NOFOLLOW : 0);
  const handle: FileHandle = await retryingOutOfDescriptors(() => open(path, flags)).catch(rethrow);
  try {
    const opened = await handle.stat().catch(rethrow);
    refuseIrregular(opened, options.maxBytes);
    if (opened.ino !== before.ino || opened.dev !== before.dev) throw new FileProblem(FileProblemKind.Unreadable, 'the file changed while it was being opened');
    const buffer = Buffer.allocUnsafe(opened.size);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled).catch(rethrow);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === buffer.length ? buffer : buffer.subarray(0, filled);
  } finally {
    await handle.close().catch(() => {});
  }
}

/**
 * The synchronous {@link readRegularFile}, for start-up reads (a model folder): stat'ed first, opened
 * non-blocking, checked again on the descriptor, at most `maxBytes`. Failures are FileProblems.
 */
export function readRegularFileSync(path: string, options: ReadRegularFileOptions): Buffer {
  if (path.includes('\0')) throw new FileProblem(FileProblemKind.Unreadable, 'the path contains a NUL character');
  let fd: number | undefined;
  try {
    const before = statSync(path);
    refuseIrregular(before, options.maxBytes);
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (options.noFollow ? constants.O_NOFOLLOW : 0));
    const opened = fstatSync(fd);
    refuseIrregular(opened, options.maxBytes);
    if (opened.ino !== before.ino || opened.dev !== before.dev) throw new FileProblem(FileProblemKind.Unreadable, 'the file changed while it was being opened');
    const buffer = Buffer.allocUnsafe(opened.size);
    let filled = 0;
    while (filled < buffer.length) {
      const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === buffer.length ? buffer : buffer.subarray(0, filled);
  } catch (error) {
    return rethrow(error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Checks, without opening it, that `path` is a regular file (following symbolic links): returns
 * the problem, or undefined when it is one or does not exist (`missing` is left to the reader).
 */
export function regularFileProblem(path: string): FileProblem | undefined {
  if (path.includes('\0')) return new FileProblem(FileProblemKind.Unreadable, 'the path contains a NUL character');
  let s: Stats;
  try {
    s = statSync(path);
  } catch (error) {
    const problem = fileProblemOf(error);
    if (!problem) throw error;
    return problem.kind === FileProblemKind.Missing ? undefined : problem;
  }
  return s.isFile() ? undefined : new FileProblem(FileProblemKind.NotAFile, `is ${fileKind(s)}, not a regular file`);
}

/** `3221225472` → `3.0 GiB`. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} bytes`;
}
