/**
 * Preprocessing shared by every engine (the old system normalised on one path only: two engines,
 * two answers). Engines receive audio already normalised by this function.
 */
import { joinParts } from '../audio/phrase';
import type { ModelManifest } from './manifest';
import { Normalization } from './manifest';

/**
 * Returns the phrase audio as the model expects it, in a new array. `audio` is the samples, or the
 * consecutive parts of a padded phrase (joined here in the same pass, with no intermediate copy).
 */
export function normalizeForModel(audio: Float32Array | readonly Float32Array[], manifest: Pick<ModelManifest, 'normalization'>): Float32Array {
  const parts = audio instanceof Float32Array ? [audio] : audio;
  if (manifest.normalization === Normalization.None) return joinParts(parts);
  let n = 0;
  for (const part of parts) n += part.length;
  const out = new Float32Array(n);
  if (n === 0) return out;
  // Two passes over the input (mean, then variance about it: stable for long, loud audio), one write.
  let sum = 0;
  for (const part of parts) for (let i = 0; i < part.length; i++) sum += part[i] as number;
  const mean = sum / n;
  let squares = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const d = (part[i] as number) - mean;
      squares += d * d;
    }
  }
  const scale = 1 / Math.sqrt(squares / n + 1e-7);
  let at = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) out[at++] = ((part[i] as number) - mean) * scale;
  }
  return out;
}
