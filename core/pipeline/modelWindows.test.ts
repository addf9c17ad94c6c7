import fc from 'fast-check';
import { padWithNeighbours } from '../audio';
import { frameArgmax, type PhraseLogits } from '../decode';
import { Normalization } from '../model';
import { assembleLogits, assembleRows, framePlan, type ModelWindow, modelWindows, windowInput } from './modelWindows';

const STRIDE = 320;
const RATE = 16000;
const manifest = (contextSec?: number) => ({ frameStride: STRIDE, sampleRate: RATE, normalization: Normalization.None, ...(contextSec === undefined ? {} : { contextSec }) });

/**
 * Phrases whose samples are their own positions in the activity (phrase after phrase), padded, with
 * fake passes whose row r holds the activity position of the window's sample r × stride: an
 * assembled row then says which audio it was computed from.
 */
function scenario(lengths: number[], padSamples: number, contextSec: number | undefined, failed: number[] = []) {
  const starts = lengths.map((_, i) => lengths.slice(0, i).reduce((a, b) => a + b, 0));
  const phrases = lengths.map((n, i) => Float32Array.from({ length: n }, (_, k) => (starts[i] as number) + k));
  const padded = padWithNeighbours(phrases, padSamples);
  const windows = modelWindows(padded, manifest(contextSec));
  const passes: (PhraseLogits | undefined)[] = windows.map((w, i) => {
    if (!w || failed.includes(i)) return undefined;
    const input = windowInput(w, manifest(contextSec));
    const frames = Math.ceil(input.length / STRIDE);
    return { data: Float32Array.from({ length: frames }, (_, r) => input[r * STRIDE] as number), frames, vocab: 1 };
  });
  return { starts, padded, windows, passes };
}

describe('modelWindows', () => {
  it('a phrase is run with its own audio plus the context, starting a whole number of frames into its padding', () => {
    const { windows, padded } = scenario([40_000, 50_000, 30_000], 48_000, 1);
    expect(windows.map((w) => [w?.offset, w?.length])).toEqual([
      [0, 40_000 + 16_000],
      // lead 40,000 > 16,000: start at the largest whole frame leaving ≥ 16,000 samples of lead
      [Math.floor((40_000 - 16_000) / STRIDE) * STRIDE, 40_000 - Math.floor((40_000 - 16_000) / STRIDE) * STRIDE + 50_000 + 16_000],
      [Math.floor((48_000 - 16_000) / STRIDE) * STRIDE, 48_000 - Math.floor((48_000 - 16_000) / STRIDE) * STRIDE + 30_000],
    ]);
    // Only the last one lacks context after its audio: zeros make it up.
    expect(windows.map((w) => w?.tailZeros)).toEqual([0, 0, 16_000]);
    // Samples through the model: 242,000 here against 3 × padded (the old way) = 288,000.
    const run = windows.reduce((n, w) => n + (w ? w.length + w.tailZeros : 0), 0);
    expect(run).toBeLessThan(padded.reduce((n, p) => n + (p?.length ?? 0), 0));
  });

  it('without contextSec (an unbounded receptive field) the whole padded phrase is run, as before', () => {
    const { windows, padded } = scenario([40_000, 50_000], 48_000, undefined);
    expect(windows.map((w) => [w?.offset, w?.length])).toEqual(padded.map((p) => [0, p?.length]));
  });

  it('the window is normalised with the statistics of the whole padded phrase', () => {
    const own = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
    const lead = Float32Array.from({ length: 2000 }, () => 0.5);
    const padded = padWithNeighbours([lead, own], 2000);
    const zmuv = { ...manifest(0.01), normalization: Normalization.ZeroMeanUnitVariance };
    const [, w] = modelWindows(padded, zmuv);
    const input = windowInput(w as ModelWindow, zmuv);
    const all = [...lead, ...own];
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const scale = 1 / Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length + 1e-7);
    const offset = (w as ModelWindow).offset;
    expect(input[0]).toBeCloseTo(((all[offset] as number) - mean) * scale, 5);
    const { length, tailZeros } = w as ModelWindow;
    expect(input[length - 1]).toBeCloseTo(((own[999] as number) - mean) * scale, 5);
    // The last phrase has no trail: its window ends in the context's worth of zeros.
    expect(tailZeros).toBe(160);
    expect(Array.from(input.subarray(length))).toEqual(new Array(160).fill(0));
  });
});

describe('assembleLogits', () => {
  it('every frame of a padded phrase comes from the audio under it: own frames exactly, lent frames within half a frame', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 60_000 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 48_000 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (lengths, pad, contextSec) => {
          const { starts, padded, windows, passes } = scenario(lengths, pad, contextSec);
          padded.forEach((p, i) => {
            if (!p) return;
            const { logits, leadSamples } = assembleLogits(i, windows, passes, STRIDE, true);
            expect(leadSamples).toBe(p.leadSamples);
            expect(logits.frames).toBe(Math.ceil(p.length / STRIDE));
            const first = (starts[i] as number) - p.leadSamples;
            const ownFrom = Math.floor(p.leadSamples / STRIDE);
            const ownTo = Math.ceil((p.length - p.trailSamples) / STRIDE);
            for (let k = 0; k < logits.frames; k++) {
              const at = logits.data[k] as number;
              const want = first + k * STRIDE;
              if (k >= ownFrom && k < ownTo) expect(at).toBe(want);
              // A last frame holding only a few samples of the trail is the neighbour's last frame.
              else expect(Math.abs(at - want)).toBeLessThanOrEqual(k === logits.frames - 1 ? STRIDE : STRIDE / 2);
            }
          });
        },
      ),
      // A context shorter than a frame, the last phrase lending its tail zeros (found by the property).
      { numRuns: 60, examples: [[[42462, 22819], 22819, 0.007625]] },
    );
  });

  it('a neighbour whose pass failed lends nothing: the lead shrinks to the frames the phrase ran itself', () => {
    const { padded, windows, passes } = scenario([40_000, 50_000], 48_000, 1, [0]);
    const { logits, leadSamples } = assembleLogits(1, windows, passes, STRIDE, true);
    const w = windows[1] as ModelWindow;
    expect(leadSamples).toBe((padded[1]?.leadSamples as number) - w.offset);
    expect(logits.frames).toBe(Math.ceil(((padded[1]?.length as number) - w.offset) / STRIDE));
    expect(logits.data[0]).toBe(w.offset);
  });

  it('assembleRows copies runs of rows as a frame-by-frame copy would, gaps and run breaks included', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ pass: fc.nat({ max: 2 }), row: fc.integer({ min: -1, max: 9 }) }), { maxLength: 30 }), fc.nat({ max: 3 }), (frames, missing) => {
        const width = 3;
        const sources = [0, 1, 2].map((p) => (p === missing ? undefined : Float32Array.from({ length: 10 * width }, (_, i) => p * 1000 + i)));
        const plan = { first: 0, frames: frames.length, pass: Int32Array.from(frames, (f) => f.pass), row: Int32Array.from(frames, (f) => f.row), leadSamples: 0 };
        const want = new Float32Array(frames.length * width);
        frames.forEach((f, k) => {
          const from = sources[f.pass];
          if (f.row >= 0 && from) want.set(from.subarray(f.row * width, (f.row + 1) * width), k * width);
        });
        expect(assembleRows(plan, sources, width, new Float32Array(frames.length * width))).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it('per-frame scores gathered from the passes equal the scores of the gathered logits, bit for bit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 48_000 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.integer(),
        fc.array(fc.nat({ max: 3 }), { maxLength: 2 }),
        (lengths, pad, contextSec, seed, failed) => {
          const { windows, passes: positions } = scenario(lengths, pad, contextSec, failed);
          // Random logits over 5 tokens in place of the positions (ties included: few distinct values).
          let x = seed | 0;
          const VOCAB = 5;
          const passes = positions.map((l) =>
            l
              ? {
                  data: Float32Array.from({ length: l.frames * VOCAB }, () => {
                    x = (Math.imul(x, 1103515245) + 12345) | 0;
                    return ((x >>> 16) % 9) - 4 + ((x >>> 8) & 1) * 0.37;
                  }),
                  frames: l.frames,
                  vocab: VOCAB,
                }
              : undefined,
          );
          const scored = passes.map((l) => l && frameArgmax(l));
          windows.forEach((w, i) => {
            if (!w || !passes[i]) return;
            const want = frameArgmax(assembleLogits(i, windows, passes, STRIDE, true).logits);
            const plan = framePlan(
              i,
              windows,
              scored.map((s) => s?.frames),
              STRIDE,
              true,
            );
            expect(plan.frames).toBe(want.frames);
            const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
            const gathered = (key: 'best' | 'posterior' | 'logProbs', width: number, out: Int32Array | Float32Array) =>
              bytes(
                assembleRows(
                  plan,
                  scored.map((s) => s?.[key]),
                  width,
                  out,
                ),
              ).equals(bytes(want[key]));
            expect(gathered('best', 1, new Int32Array(plan.frames))).toBe(true);
            expect(gathered('posterior', 1, new Float32Array(plan.frames))).toBe(true);
            expect(gathered('logProbs', VOCAB, new Float32Array(plan.frames * VOCAB))).toBe(true);
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
