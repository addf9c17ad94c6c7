/**
 * Local-file adapters for the CLI: audio read from disk relative to the activity manifest, only
 * inside its folder (or an explicit audio root) and only from regular files of a bounded size.
 */
import { relative, resolve } from 'node:path';
import { AudioDecodeError, AudioErrorCode } from '../../core/errors';
import { FileProblemKind, fileProblemOf, readRegularFile } from '../../core/files';
import type { AudioSource } from '../../core/pipeline/audioSource';
import { audioRoot } from './audioRoot';

/**
 * Largest audio file read: 256 MiB holds 600 s of 48 kHz stereo float32 (230 MB), far more than
 * the longest accepted recording at a usual rate; a bigger file is refused before it is read.
 */
export const DEFAULT_MAX_AUDIO_BYTES = 256 * 1024 * 1024;

/** The AudioDecodeError of a refused audio file. */
function audioFileError(code: AudioErrorCode, input: string, message: string): AudioDecodeError {
  return new AudioDecodeError(code, input, message);
}

const CODE_OF: Readonly<Record<FileProblemKind, AudioErrorCode>> = {
  missing: AudioErrorCode.Missing,
  'not-a-file': AudioErrorCode.NotWav,
  unreadable: AudioErrorCode.Unreadable,
  'too-large': AudioErrorCode.TooLarge,
};

/**
 * The typed error of an audio file that could not be read (`EACCES`, `ELOOP`, a FIFO, ...), or
 * undefined for an error that is not about the file (a genuine fault).
 *
 * @example
 * audioReadError(Object.assign(new Error(), { code: 'EACCES' }), 'p0.wav') // AudioDecodeError 'unreadable': "p0.wav: cannot read the audio file: permission denied"
 */
export function audioReadError(error: unknown, input: string): AudioDecodeError | undefined {
  if (error instanceof AudioDecodeError) return error;
  const problem = fileProblemOf(error);
  if (!problem) return undefined;
  if (problem.kind === FileProblemKind.Missing) return audioFileError(AudioErrorCode.Missing, input, 'audio file not found');
  if (problem.kind === FileProblemKind.NotAFile) return audioFileError(AudioErrorCode.NotWav, input, `${problem.detail} (audio is read from regular files only)`);
  return audioFileError(CODE_OF[problem.kind], input, `cannot read the audio file: ${problem.detail}`);
}

/** Options of {@link localAudioSource}. */
export interface LocalAudioOptions {
  /** Audio must resolve inside this folder (default: `baseDir`, the manifest's folder). */
  readonly root?: string;
  /** Largest file read (default {@link DEFAULT_MAX_AUDIO_BYTES}). */
  readonly maxBytes?: number;
}

/**
 * Reads audio files relative to `baseDir` (the folder of the activity manifest). A reference that
 * resolves outside the root (`../`, an absolute path, a symbolic link) is refused with the same
 * `outside-root` error whether or not anything exists there; FIFOs, sockets and devices are
 * refused without being opened; every failure is an AudioDecodeError naming the file, so its
 * phrase is reported unscored and the rest of the activity is still scored.
 */
export function localAudioSource(baseDir: string, options: LocalAudioOptions = {}): AudioSource {
  const root = options.root ?? baseDir;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_AUDIO_BYTES;
  const resolveRef = audioRoot(root, baseDir);
  const describe = (ref: string) => relative(process.cwd(), resolve(baseDir, ref)) || ref;
  const rootName = relative(process.cwd(), resolve(root)) || '.';
  return {
    describe,
    async read(ref) {
      const input = describe(ref);
      if (ref.includes('\0')) throw audioFileError(AudioErrorCode.Unreadable, input, 'cannot read the audio file: the path contains a NUL character');
      try {
        const resolved = await resolveRef(ref);
        if (!resolved.inside) {
          throw audioFileError(
            AudioErrorCode.OutsideRoot,
            input,
            `refused: audio must be inside ${options.root ? 'the audio root' : 'the activity folder'} (${rootName}); paths that leave it (../, absolute paths, symbolic links) are not read`,
          );
        }
        return await readRegularFile(resolved.path, { maxBytes, noFollow: true });
      } catch (error) {
        const typed = audioReadError(error, input);
        if (typed) throw typed;
        throw error;
      }
    },
  };
}
