/** Local activities for the CLI: an activity.json manifest whose audio paths are relative to it. */
import { dirname } from 'node:path';
import { ActivityInputError } from '../../core/errors';
import { FileProblem, readRegularFile } from '../../core/files';
import type { ActivityManifest } from '../../core/pipeline/activity';
import type { ActivitySource } from '../../core/ports';
import { type LocalAudioOptions, localAudioSource } from './audioFiles';

/** Largest activity manifest read: 16 MiB is far above any activity the scoring limits accept. */
export const DEFAULT_MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** Options of {@link manifestActivitySource}. */
export interface ManifestSourceOptions {
  /** Audio of every manifest must resolve inside this folder (default: each manifest's own folder). */
  readonly audioRoot?: string;
  /** Largest audio file read. */
  readonly maxAudioBytes?: number;
  /** Largest manifest read (default {@link DEFAULT_MAX_MANIFEST_BYTES}). */
  readonly maxManifestBytes?: number;
}

/**
 * Loads `ref.manifest` (a path) and reads its audio from the manifest's folder. The manifest must
 * be a regular file (a FIFO or device is refused, never opened); every read failure is an
 * ActivityInputError naming the manifest.
 */
export function manifestActivitySource(options: ManifestSourceOptions = {}): ActivitySource {
  const audio: LocalAudioOptions = {
    ...(options.audioRoot !== undefined ? { root: options.audioRoot } : {}),
    ...(options.maxAudioBytes !== undefined ? { maxBytes: options.maxAudioBytes } : {}),
  };
  return {
    async load(ref) {
      const path = ref.manifest;
      if (!path) throw new ActivityInputError('no-manifest', ref.activityId ?? '(activity)', 'a local activity is named by its manifest path');
      let text: string;
      try {
        text = (await readRegularFile(path, { maxBytes: options.maxManifestBytes ?? DEFAULT_MAX_MANIFEST_BYTES })).toString('utf8');
      } catch (error) {
        if (error instanceof FileProblem)
          throw new ActivityInputError(error.kind === 'too-large' ? 'too-large' : 'unreadable', path, `cannot read the activity manifest: ${error.detail}`);
        throw error;
      }
      let manifest: unknown;
      try {
        manifest = JSON.parse(text);
      } catch (error) {
        throw new ActivityInputError('malformed-json', path, `malformed JSON: ${(error as Error).message}`);
      }
      // Validated against the catalog by the scorer (parseActivity), which names this path.
      return { manifest: manifest as ActivityManifest, audio: localAudioSource(dirname(path), audio), source: path };
    },
  };
}
