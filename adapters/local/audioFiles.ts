/** Local-file adapters for the CLI: audio read from disk relative to the activity manifest. */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { AudioDecodeError, AudioErrorCode } from '../../core/errors';
import type { AudioSource } from '../../core/pipeline/audioSource';

/** Reads audio files relative to `baseDir` (the folder of the activity manifest). */
export function localAudioSource(baseDir: string): AudioSource {
  const pathOf = (ref: string) => (isAbsolute(ref) ? ref : resolve(baseDir, ref));
  return {
    describe: (ref) => relative(process.cwd(), pathOf(ref)) || ref,
    async read(ref) {
      const path = pathOf(ref);
      try {
        return await readFile(path);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new AudioDecodeError(AudioErrorCode.Missing, relative(process.cwd(), path), 'audio file not found');
        if (code === 'EISDIR') throw new AudioDecodeError(AudioErrorCode.NotWav, relative(process.cwd(), path), 'is a directory, not an audio file');
        throw error;
      }
    },
  };
}
