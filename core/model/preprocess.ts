/**
 * Preprocessing shared by every engine (the old system normalised on one path only: two engines,
 * two answers). Engines receive audio already normalised by this function.
 */
import { nativeDsp } from '../../aligner/native';
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
 * for long, loud audio), each part summed by {@link sampleSum} / {@link sampleSquares}.
 */
export function normalizationOf(parts: readonly Float32Array[], manifest: Pick<ModelManifest, 'normalization'>): NormalizationStats {
  if (manifest.normalization === Normalization.None) return IDENTITY;
  let n = 0;
  for (const part of parts) n += part.length;
  if (n === 0) return IDENTITY;
  const native = nativeDsp();
  let sum = 0;
  for (const part of parts) sum += native ? native.sampleSum(part) : sampleSum(part);
  const mean = sum / n;
  let squares = 0;
  for (const part of parts) squares += native ? native.sampleSquares(part, mean) : sampleSquares(part, mean);
  return { mean, scale: 1 / Math.sqrt(squares / n + 1e-7) };
}

/**
 * The sum of `x` in float64 over four lanes (sample `i` into lane `i mod 4`, the last `length mod
 * 4` into lane 0, then `(l0 + l1) + (l2 + l3)`): the order of the native module's kernel
 * (aligner/src/dsp.rs), which runs instead where it is built — same bits either way.
 */
export function sampleSum(x: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const tail = x.length - (x.length % 4);
  for (let i = 0; i < tail; i += 4) {
    s0 += x[i] as number;
    s1 += x[i + 1] as number;
    s2 += x[i + 2] as number;
    s3 += x[i + 3] as number;
  }
  for (let i = tail; i < x.length; i++) s0 += x[i] as number;
  return s0 + s1 + (s2 + s3);
}

/** The sum of `(x - mean)²` in float64, the lanes of {@link sampleSum}. */
export function sampleSquares(x: Float32Array, mean: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const tail = x.length - (x.length % 4);
  for (let i = 0; i < tail; i += 4) {
    const d0 = (x[i] as number) - mean;
    const d1 = (x[i + 1] as number) - mean;
    const d2 = (x[i + 2] as number) - mean;
    const d3 = (x[i + 3] as number) - mean;
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (let i = tail; i < x.length; i++) {
    const d = (x[i] as number) - mean;
    s0 += d * d;
  }
  return s0 + s1 + (s2 + s3);
}

/**
 * Writes `(x - mean) * scale` of every sample of `samples` into `out` from `at` (in the native
 * module where it is built: the same float64 arithmetic, rounded to float32 the same way).
 */
export function normalizeWith(samples: Float32Array, stats: NormalizationStats, out: Float32Array, at = 0, options: { native?: boolean } = {}): void {
  if (stats === IDENTITY) {
    out.set(samples, at);
    return;
  }
  const { mean, scale } = stats;
  const native = options.native === false ? undefined : nativeDsp();
  if (native) native.normalizeInto(samples, mean, scale, out, at);
  else for (let i = 0; i < samples.length; i++) out[at + i] = ((samples[i] as number) - mean) * scale;
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
