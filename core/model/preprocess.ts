/**
 * Preprocessing shared by every engine (the old system normalised on one path only: two engines,
 * two answers). Engines receive audio already normalised by this function.
 */
import type { ModelManifest } from './manifest';
import { Normalization } from './manifest';

/** Returns the phrase audio as the model expects it (a new array; the input is not modified). */
export function normalizeForModel(samples: Float32Array, manifest: Pick<ModelManifest, 'normalization'>): Float32Array {
  if (manifest.normalization === Normalization.None) return samples.slice();
  const n = samples.length;
  if (n === 0) return new Float32Array(0);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += samples[i] as number;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    const d = (samples[i] as number) - mean;
    variance += d * d;
  }
  variance /= n;
  const scale = 1 / Math.sqrt(variance + 1e-7);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((samples[i] as number) - mean) * scale;
  return out;
}
