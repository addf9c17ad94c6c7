/**
 * Preprocessing shared by every engine (the old system normalised on one path only: two engines,
 * two answers). Engines receive audio already normalised by this function.
 */
import type { ModelManifest } from './manifest';
import { Normalization } from './manifest';

/** How samples are mapped for the model: `(x - mean) * scale`. */
export interface NormalizationStats {
  readonly mean: number;
  readonly scale: number;
}

/** The identity mapping (normalisation `none`, or no samples). */
const IDENTITY: NormalizationStats = { mean: 0, scale: 1 };

/**
 * The statistics of `parts` taken as one signal: two passes (mean, then variance about it: stable
 * for long, loud audio).
 */
export function normalizationOf(parts: readonly Float32Array[], manifest: Pick<ModelManifest, 'normalization'>): NormalizationStats {
  if (manifest.normalization === Normalization.None) return IDENTITY;
  let n = 0;
  for (const part of parts) n += part.length;
  if (n === 0) return IDENTITY;
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
  return { mean, scale: 1 / Math.sqrt(squares / n + 1e-7) };
}

/** Writes `(x - mean) * scale` of every sample of `samples` into `out` from `at`. */
export function normalizeWith(samples: Float32Array, stats: NormalizationStats, out: Float32Array, at = 0): void {
  if (stats === IDENTITY) {
    out.set(samples, at);
    return;
  }
  const { mean, scale } = stats;
  for (let i = 0; i < samples.length; i++) out[at + i] = ((samples[i] as number) - mean) * scale;
}

/**
 * Returns the phrase audio as the model expects it, in a new array. `audio` is the samples, or the
 * consecutive parts of a padded phrase (normalised as one signal, joined with no intermediate copy).
 */
export function normalizeForModel(audio: Float32Array | readonly Float32Array[], manifest: Pick<ModelManifest, 'normalization'>): Float32Array {
  const parts = audio instanceof Float32Array ? [audio] : audio;
  const stats = normalizationOf(parts, manifest);
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    normalizeWith(part, stats, out, at);
    at += part.length;
  }
  return out;
}
