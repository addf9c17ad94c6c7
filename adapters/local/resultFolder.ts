/** Writes each activity result as `<dir>/<activityId>.json` (the CLI's --out). */
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { ConfigError } from '../../core/errors';
import type { ResultSink } from '../../core/ports';

/**
 * Makes sure `dir` is a folder results can be written to, before anything is scored: it is created
 * when missing; a file in its place (or in a parent's) is a ConfigError naming `flag`.
 */
export function prepareResultFolder(dir: string, flag = '--out'): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new ConfigError('bad-flag', flag, `${dir} is a file, not a folder for results`);
    if (typeof code === 'string') throw new ConfigError('bad-flag', flag, `cannot create the results folder ${dir} (${code})`);
    throw error;
  }
  if (!statSync(dir).isDirectory()) throw new ConfigError('bad-flag', flag, `${dir} is not a folder for results`);
}

/** Writes so far in this thread: with the pid and thread id, each temporary file's name is its own. */
let writes = 0;

/**
 * A result sink into a local folder; rewriting an activity overwrites its file. Each result is
 * written to a temporary file and renamed, so a failed write never leaves a truncated result; a
 * write failure is a ConfigError naming the file.
 */
export function resultFolderSink(dir: string, onWrite?: (path: string) => void): ResultSink {
  return {
    name: `folder:${dir}`,
    async write(result) {
      const path = join(dir, `${result.activityId}.json`);
      // Unique per process, thread and write: scoring threads share the pid.
      const partial = `${path}.${process.pid}-${threadId}-${writes++}.partial`;
      try {
        await mkdir(dir, { recursive: true });
        await writeFile(partial, `${JSON.stringify(result, null, 2)}\n`);
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true }).catch(() => {});
        const code = (error as NodeJS.ErrnoException).code;
        if (typeof code === 'string') throw new ConfigError('unwritable', path, `cannot write the result (${code})`);
        throw error;
      }
      onWrite?.(path);
    },
  };
}
