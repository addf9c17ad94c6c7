/** An in-memory AudioSource for pipeline tests. */
import { AudioDecodeError } from '../../core/errors';
import type { AudioSource } from '../../core/pipeline/audioSource';

export function memoryAudio(files: Record<string, Uint8Array>): AudioSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    describe: (ref) => `mem:${ref}`,
    async read(ref) {
      reads.push(ref);
      const bytes = files[ref];
      if (!bytes) throw new AudioDecodeError('missing', `mem:${ref}`, 'audio file not found');
      return bytes;
    },
  };
}
