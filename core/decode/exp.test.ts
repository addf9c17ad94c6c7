import { nativeSoftmax, nativeStatus } from '../../aligner/native';
import { seeded } from '../../test/aligner/fixtures';
import { frameArgmax } from './ctc';
import { expNonPositive, FRACTION, POWER } from './exp';

/**
 * `frames × vocab` logits from a seeded generator: `value(f, v, top, next)` for token `v` of frame
 * `f`, `top` a token drawn per frame (the one a CTC model would put well ahead).
 */
function logitRows(seed: number, frames: number, vocab: number, value: (f: number, v: number, top: number, next: () => number) => number): Float32Array {
  const next = seeded(seed);
  const data = new Float32Array(frames * vocab);
  for (let f = 0; f < frames; f++) {
    const top = Math.floor(next() * vocab);
    for (let v = 0; v < vocab; v++) data[f * vocab + v] = value(f, v, top, next);
  }
  return data;
}

/** The bytes of a typed array (for bit-for-bit comparisons). */
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Units in the last place of the double `want` that `got` is off by. */
const ulps = (got: number, want: number) => Math.abs(got - want) / (want * Number.EPSILON);

describe('expNonPositive', () => {
  it('is within 2 units in the last place of Math.exp over its whole normal range', () => {
    const next = seeded(7);
    let worst = 0;
    for (let i = 0; i < 200_000; i++) {
      const x = i < 100_000 ? -next() * 708 : -next() * 40;
      worst = Math.max(worst, ulps(expNonPositive(x), Math.exp(x)));
    }
    // A grid over every table entry and power of two, the reduction's edges included.
    for (let k = 0; k <= 708 * 64; k++) {
      const x = (-k * Math.LN2) / 64;
      worst = Math.max(worst, ulps(expNonPositive(x), Math.exp(x)), ulps(expNonPositive(x - Math.LN2 / 128), Math.exp(x - Math.LN2 / 128)));
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(worst).toBeGreaterThan(0); // it is an approximation, measured, not Math.exp itself
  });

  it('is exact at 0 and handles the edges as Math.exp does', () => {
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-0)).toBe(1);
    expect(expNonPositive(Number.NEGATIVE_INFINITY)).toBe(0);
    expect(expNonPositive(-746)).toBe(0);
    expect(Math.exp(-746)).toBe(0);
    expect(expNonPositive(Number.NaN)).toBeNaN();
    // Subnormal results stay non-zero where Math.exp's are.
    expect(expNonPositive(-740)).toBeGreaterThan(0);
    expect(expNonPositive(-740) / Math.exp(-740)).toBeCloseTo(1, 6);
  });
});

describe('frameArgmax with expNonPositive', () => {
  /** frameArgmax as it was, with Math.exp. */
  function reference(data: Float32Array, frames: number, vocab: number) {
    const posterior = new Float32Array(frames);
    const logProbs = new Float32Array(frames * vocab);
    for (let f = 0; f < frames; f++) {
      const row = data.subarray(f * vocab, (f + 1) * vocab);
      const max = Math.max(...row);
      let sum = 0;
      for (const x of row) sum += Math.exp(x - max);
      posterior[f] = 1 / sum;
      const norm = max + Math.log(sum);
      row.forEach((x, v) => {
        logProbs[f * vocab + v] = x - norm;
      });
    }
    return { posterior, logProbs };
  }

  it('gives the posteriors and log-probabilities of Math.exp bit for bit', () => {
    const frames = 3000;
    const vocab = 38;
    // Logit rows like a CTC model's: one token well ahead on most frames, the rest 5-40 below.
    const data = logitRows(11, frames, vocab, (f, v, top, next) => (v === top ? 10 + next() * 5 : -next() * 30 + (f % 7 === 0 ? 12 : 0)));
    const got = frameArgmax({ data, frames, vocab });
    const want = reference(data, frames, vocab);
    expect(bytes(got.posterior).equals(bytes(want.posterior))).toBe(true);
    expect(bytes(got.logProbs).equals(bytes(want.logProbs))).toBe(true);
  });

  it('scores only the rows asked for, with the values of a full run', () => {
    const next = seeded(5);
    const frames = 50;
    const vocab = 6;
    const data = Float32Array.from({ length: frames * vocab }, () => next() * 20 - 10);
    const full = frameArgmax({ data, frames, vocab });
    const part = frameArgmax({ data, frames, vocab }, { from: 10, to: 30 });
    expect(Array.from(part.logProbs.subarray(10 * vocab, 30 * vocab))).toEqual(Array.from(full.logProbs.subarray(10 * vocab, 30 * vocab)));
    expect(Array.from(part.best.subarray(10, 30))).toEqual(Array.from(full.best.subarray(10, 30)));
    expect(part.posterior.subarray(0, 10).every((x) => x === 0)).toBe(true);
    expect(part.posterior.subarray(30).every((x) => x === 0)).toBe(true);
    expect(part.posterior[10]).toBe(full.posterior[10]);
  });

  it('the native module gives the TypeScript loop’s bits (argmax, posteriors, log-probabilities)', () => {
    if (!nativeStatus().available) return; // the native module is not built here: nothing to compare
    expect(nativeSoftmax()).toBeDefined();
    const frames = 4000;
    const vocab = 38;
    // Ties for the maximum (the first one wins), huge gaps (underflow) and ordinary rows.
    const data = logitRows(23, frames, vocab, (f, v, top, next) => (f % 11 === 0 ? 3 : f % 13 === 0 && v % 2 ? -800 : v === top ? 12 + next() * 5 : -next() * 35));
    // The f64 sums themselves, before float32 rounding could hide a difference.
    const best = new Int32Array(frames);
    const sums = new Float64Array(frames);
    nativeSoftmax()?.(data, vocab, 0, frames, FRACTION, POWER, best, sums);
    const want = Float64Array.from({ length: frames }, (_, f) => {
      const row = Array.from(data.subarray(f * vocab, (f + 1) * vocab));
      const max = Math.max(...row);
      expect(best[f]).toBe(row.indexOf(max));
      return row.reduce((sum, x) => sum + expNonPositive(x - max), 0);
    });
    expect(bytes(sums).equals(bytes(want))).toBe(true);
    for (const rows of [undefined, { from: 17, to: 3333 }]) {
      const native = frameArgmax({ data, frames, vocab }, rows);
      const plain = frameArgmax({ data, frames, vocab }, rows, { native: false });
      expect(bytes(native.best).equals(bytes(plain.best))).toBe(true);
      expect(bytes(native.posterior).equals(bytes(plain.posterior))).toBe(true);
      expect(bytes(native.logProbs).equals(bytes(plain.logProbs))).toBe(true);
    }
  });
});
