/** Local activities for the CLI: an activity.json manifest whose audio paths are relative to it. */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ActivityInputError } from '../../core/errors';
import type { ActivityManifest } from '../../core/pipeline/activity';
import type { ActivitySource } from '../../core/ports';
import { localAudioSource } from './audioFiles';

/** Loads `ref.manifest` (a path) and reads its audio from the manifest's folder. */
export function manifestActivitySource(): ActivitySource {
  return {
    async load(ref) {
      const path = ref.manifest;
      if (!path) throw new ActivityInputError('no-manifest', ref.activityId ?? '(activity)', 'a local activity is named by its manifest path');
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        throw new ActivityInputError('unreadable', path, `cannot read the activity manifest (${(error as NodeJS.ErrnoException).code ?? error})`);
      }
      let manifest: unknown;
      try {
        manifest = JSON.parse(text);
      } catch (error) {
        throw new ActivityInputError('malformed-json', path, `malformed JSON: ${(error as Error).message}`);
      }
      // Validated against the catalog by the scorer (parseActivity), which names this path.
      return { manifest: manifest as ActivityManifest, audio: localAudioSource(dirname(path)), source: path };
    },
  };
}
