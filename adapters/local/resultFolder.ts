/** Writes each activity result as `<dir>/<activityId>.json` (the CLI's --out). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResultSink } from '../../core/ports';

/** A result sink into a local folder; rewriting an activity overwrites its file. */
export function resultFolderSink(dir: string, onWrite?: (path: string) => void): ResultSink {
  return {
    name: `folder:${dir}`,
    async write(result) {
      await mkdir(dir, { recursive: true });
      const path = join(dir, `${result.activityId}.json`);
      await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
      onWrite?.(path);
    },
  };
}
