import { nativeDsp } from '../../aligner/native';
import { Normalization } from './manifest';
import { normalizationOf, normalizeWith, sampleSquares, sampleSum } from './preprocess';

// The native kernels live in the Node-API module (aligner/build.js); without it their comparison
// is skipped with a warning, unless ALIGNER_REQUIRE_NATIVE=1 (CI), where it fails instead.
const native = nativeDsp();
const requireNative = process.env.ALIGNER_REQUIRE_NATIVE === '1';
if (!native && !requireNative) console.warn('SKIPPING the native normalisation tests: the native module is not built');
const itNative = native || requireNative ? it : it.skip;

function noise(length: number, seed: number, offset = 0): Float32Array {
  let s = seed;
  return Float32Array.from({ length }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return offset + ((s / 2147483648) * 2 - 1) * 0.6;
  });
}

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 1001, 96_003];

describe('normalisation', () => {
  it('takes the mean and scale of the parts as one signal', () => {
    const parts = [noise(5003, 1, 0.2), noise(7, 2), noise(20_000, 3, -0.1)];
    const all = parts.flatMap((p) => Array.from(p));
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const variance = all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length;
    const stats = normalizationOf(parts, { normalization: Normalization.ZeroMeanUnitVariance });
    expect(Math.abs(stats.mean - mean)).toBeLessThan(1e-12);
    expect(Math.abs(stats.scale - 1 / Math.sqrt(variance + 1e-7)) / stats.scale).toBeLessThan(1e-12);
    expect(normalizationOf(parts, { normalization: Normalization.None })).toEqual({ mean: 0, scale: 1 });
  });

  it('sums in the documented lanes', () => {
    // The ones vanish next to ±v (its float64 ulp is 16) except in left-to-right order, which
    // cancels the v's first and keeps both: lanes give ((v + 1) + 1) + (-v + 1) = 0, in order 2.
    const v = Math.fround(1e17);
    const x = Float32Array.from([v, 1, -v, 1, 1]);
    expect(sampleSum(x)).toBe(0);
    expect(sampleSquares(Float32Array.from([3, 1]), 2)).toBe(2);
  });

  itNative('gives the same bits in the native module and in TypeScript', () => {
    const dsp = nativeDsp();
    expect(dsp).toBeDefined();
    if (!dsp) return;
    for (const length of LENGTHS) {
      const x = noise(length, length + 11, 0.05);
      expect(dsp.sampleSum(x)).toBe(sampleSum(x));
      const mean = length ? sampleSum(x) / length : 0;
      expect(dsp.sampleSquares(x, mean)).toBe(sampleSquares(x, mean));
      const stats = { mean, scale: 1 / Math.sqrt(sampleSquares(x, mean) / Math.max(1, length) + 1e-7) };
      const viaNative = new Float32Array(length + 3).fill(9);
      const viaTs = new Float32Array(length + 3).fill(9);
      normalizeWith(x, stats, viaNative, 2);
      normalizeWith(x, stats, viaTs, 2, { native: false });
      expect(Buffer.from(viaNative.buffer).equals(Buffer.from(viaTs.buffer))).toBe(true);
      expect(viaNative[0]).toBe(9);
      expect(viaNative[length + 2]).toBe(9);
    }
  });

  itNative('refuses to write past the end of the output', () => {
    const dsp = nativeDsp();
    if (!dsp) throw new Error('the native module is required here');
    expect(() => dsp.normalizeInto(new Float32Array(4), 0, 1, new Float32Array(5), 2)).toThrow(/do not fit/);
    expect(() => dsp.sampleSquares(new Float32Array(4), Number.NaN)).toThrow(/finite/);
  });
});
