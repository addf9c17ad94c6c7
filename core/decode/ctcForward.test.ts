import fc from 'fast-check';
import { loadDefaultCatalog } from '../items';
import type { FrameLogProbs } from './ctc';
import { ctcLogLikelihood, ctcLogLikelihoods, LabelTree, logAdd } from './ctcForward';

const catalog = loadDefaultCatalog();
const TOKENS = ['<pad>', '|', ...catalog.alphabet];
const V = TOKENS.length;

/** Log-probabilities from rows of [token, probability] (the rest spread over the other tokens). */
function framesOf(rows: [string, number][][]): FrameLogProbs {
  const data = new Float32Array(rows.length * V);
  rows.forEach((row, f) => {
    const given = row.reduce((s, [, p]) => s + p, 0);
    const rest = (1 - given) / (V - row.length);
    for (let v = 0; v < V; v++) data[f * V + v] = Math.log(rest);
    for (const [t, p] of row) data[f * V + TOKENS.indexOf(t)] = Math.log(p);
  });
  return { data, vocab: V, blank: 0, separator: 1 };
}

const say = (phones: string, p = 0.9, each = 3): [string, number][][] => Array.from(phones).flatMap((ph) => Array.from({ length: each }, () => [[ph, p] as [string, number]]));

/** Sums the probability of every frame path that collapses to `labels` (brute force, tiny inputs only). */
function bruteForce(lp: FrameLogProbs, labels: number[], from: number, to: number): number {
  const T = to - from;
  let total = 0;
  const path: number[] = [];
  const walk = (t: number, logp: number) => {
    if (t === T) {
      // Edge frames may also be the separator; inner gaps only blank.
      const collapsed: number[] = [];
      let prev = -1;
      let firstLabel = -1;
      let lastLabel = -1;
      path.forEach((tok, i) => {
        if (tok > 1) {
          if (firstLabel < 0) firstLabel = i;
          lastLabel = i;
        }
      });
      for (let i = 0; i < T; i++) {
        const tok = path[i] as number;
        if (tok === 1 && firstLabel >= 0 && i > firstLabel && i < lastLabel) return; // separator inside
        if (tok !== prev && tok > 1) collapsed.push(tok);
        prev = tok === 1 ? 0 : tok;
      }
      if (collapsed.length === labels.length && collapsed.every((c, i) => c === labels[i])) total += Math.exp(logp);
      return;
    }
    for (let v = 0; v < lp.vocab; v++) {
      path.push(v);
      walk(t + 1, logp + (lp.data[(from + t) * lp.vocab + v] as number));
      path.pop();
    }
  };
  walk(0, 0);
  return Math.log(total);
}

/**
 * The forward algorithm as first written (one sequence at a time, two rows of states, each frame's
 * filler recomputed per sequence): the reference the shared prefix-tree version must match bit for bit.
 */
function referenceLogLikelihood(lp: FrameLogProbs, labels: ArrayLike<number>, from: number, to: number): number {
  const logAdd = (a: number, b: number) => {
    if (a === Number.NEGATIVE_INFINITY) return b;
    if (b === Number.NEGATIVE_INFINITY) return a;
    return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
  };
  const L = labels.length;
  const { data, vocab, blank, separator } = lp;
  if (to <= from) return L === 0 ? 0 : Number.NEGATIVE_INFINITY;
  const filler = (f: number) => logAdd(data[f * vocab + blank] as number, separator >= 0 ? (data[f * vocab + separator] as number) : Number.NEGATIVE_INFINITY);
  if (L === 0) {
    let s = 0;
    for (let f = from; f < to; f++) s += filler(f);
    return s;
  }
  const S = 2 * L + 1;
  let prev = new Float64Array(S).fill(Number.NEGATIVE_INFINITY);
  let cur = new Float64Array(S);
  prev[0] = filler(from);
  prev[1] = data[from * vocab + (labels[0] as number)] as number;
  for (let f = from + 1; f < to; f++) {
    const row = f * vocab;
    const edgeBlank = filler(f);
    for (let s = 0; s < S; s++) {
      let a = prev[s] as number;
      if (s > 0) a = logAdd(a, prev[s - 1] as number);
      let emit: number;
      if (s % 2 === 0) {
        emit = s === 0 || s === S - 1 ? edgeBlank : (data[row + blank] as number);
      } else {
        const label = labels[(s - 1) / 2] as number;
        if (s > 1 && labels[(s - 3) / 2] !== label) a = logAdd(a, prev[s - 2] as number);
        emit = data[row + label] as number;
      }
      cur[s] = a + emit;
    }
    [prev, cur] = [cur, prev];
  }
  return logAdd(prev[S - 1] as number, prev[S - 2] as number);
}

/** A random phrase: vocabulary, blank and separator positions, and log-softmax frames. */
const randomPhrase = fc
  .record({
    vocab: fc.integer({ min: 3, max: 7 }),
    frames: fc.integer({ min: 0, max: 30 }),
    blank: fc.nat(),
    separator: fc.nat(),
    withSeparator: fc.boolean(),
    // Spread of the logits: near-uniform frames up to very peaked ones (log-probabilities to about -300).
    scale: fc.constantFrom(0.5, 4, 20, 300),
    seed: fc.integer(),
  })
  .map(({ vocab, frames, blank, separator, withSeparator, scale, seed }) => {
    const b = blank % vocab;
    const sep = withSeparator ? (b + 1 + (separator % (vocab - 1))) % vocab : -1;
    let x = seed | 0;
    const random = () => {
      // xorshift32: deterministic per fast-check seed, so a failure shrinks and replays.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 4294967296;
    };
    const data = new Float32Array(frames * vocab);
    for (let f = 0; f < frames; f++) {
      const row = Array.from({ length: vocab }, () => (random() - 0.5) * scale);
      const m = Math.max(...row);
      const z = Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0)) + m;
      row.forEach((v, t) => {
        data[f * vocab + t] = v - z;
      });
    }
    const labels = Array.from({ length: vocab }, (_, t) => t).filter((t) => t !== b && t !== sep);
    return { lp: { data, vocab, blank: b, separator: sep } as FrameLogProbs, frames, labels };
  });

/** Label sequences over few labels (so repeats and shared prefixes are common), some empty or missing. */
const randomSequences = fc.array(fc.option(fc.array(fc.nat({ max: 4 }), { maxLength: 6 }), { nil: undefined, freq: 8 }), { minLength: 1, maxLength: 12 });

describe('logAdd', () => {
  const full = (a: number, b: number) => {
    if (a === Number.NEGATIVE_INFINITY) return b;
    if (b === Number.NEGATIVE_INFINITY) return a;
    return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
  };
  const same = (a: number, b: number) => {
    expect(Object.is(logAdd(a, b), full(a, b))).toBe(true);
    expect(Object.is(logAdd(b, a), full(b, a))).toBe(true);
  };

  it('returns the same double as the full formula where it skips exp and log1p (gaps near the bound, powers of two)', () => {
    // The larger term near -1 and at powers of two, where half a unit in the last place is smallest
    // relative to the value; gaps from 30 to 45 straddle the bound of 38.
    const larger = fc.oneof(
      fc.double({ min: -1.5, max: -1, noNaN: true }),
      fc.integer({ min: 0, max: 40 }).map((e) => -(2 ** e)),
      fc.double({ min: -5000, max: -1, noNaN: true }),
    );
    fc.assert(
      fc.property(larger, fc.double({ min: 30, max: 45, noNaN: true }), (a, gap) => same(a, a - gap)),
      { numRuns: 4000 },
    );
  });

  it('matches the full formula on any pair, infinities, zero and NaN included', () => {
    const value = fc.oneof(fc.double({ min: -1e4, max: 0, noNaN: true }), fc.constantFrom(0, -0, -1, -2, Number.NEGATIVE_INFINITY, Number.NaN, -1e-300));
    fc.assert(fc.property(value, value, same), { numRuns: 4000 });
  });
});

describe('ctcLogLikelihood', () => {
  it('equals the sum over every frame path that collapses to the labels (brute force)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 2, max: 3 }), { minLength: 0, maxLength: 3 }),
        fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: 5 * 4, maxLength: 5 * 4 }),
        (frames, labels, raw) => {
          // A 4-token vocabulary: blank, separator, two labels.
          const data = new Float32Array(frames * 4);
          for (let f = 0; f < frames; f++) {
            const row = raw.slice(f * 4, f * 4 + 4);
            const m = Math.max(...row);
            const z = Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0)) + m;
            row.forEach((x, v) => {
              data[f * 4 + v] = x - z;
            });
          }
          const lp = { data, vocab: 4, blank: 0, separator: 1 };
          const fast = ctcLogLikelihood(lp, labels, 0, frames);
          const slow = bruteForce(lp, labels, 0, frames);
          if (slow === Number.NEGATIVE_INFINITY) return fast === Number.NEGATIVE_INFINITY;
          return Math.abs(fast - slow) < 1e-4;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('matches the reference forward algorithm bit for bit, one sequence or many over a window', () => {
    fc.assert(
      fc.property(randomPhrase, randomSequences, fc.integer({ min: -3, max: 33 }), fc.integer({ min: -3, max: 33 }), ({ lp, frames, labels }, raw, a, b) => {
        // Windows inside the phrase, empty or reversed ones included.
        const from = Math.min(Math.max(a, 0), frames);
        const to = Math.min(Math.max(b, 0), frames);
        const sequences = raw.map((seq) => seq?.map((k) => labels[k % labels.length] as number));
        const many = ctcLogLikelihoods(lp, new LabelTree(sequences), from, to);
        expect(many).toHaveLength(sequences.length);
        sequences.forEach((seq, i) => {
          if (!seq) {
            expect(many[i]).toBeNaN();
            return;
          }
          const expected = referenceLogLikelihood(lp, seq, from, to);
          // Object.is: the same double, -0 and -Infinity included.
          expect(Object.is(many[i], expected)).toBe(true);
          expect(Object.is(ctcLogLikelihood(lp, seq, from, to), expected)).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('shares prefixes in the label tree and keeps repeats apart', () => {
    const tree = new LabelTree([[2], [2, 3], undefined, [2, 2], [], [2, 3]]);
    // Root, 2, 2→3, 2→2: the duplicate sequence and the shared prefix add no node.
    expect(Array.from(tree.label)).toEqual([-1, 2, 3, 2]);
    expect(Array.from(tree.parent)).toEqual([-1, 0, 1, 1]);
    expect(Array.from(tree.skip)).toEqual([0, 0, 1, 0]);
    expect(Array.from(tree.last)).toEqual([1, 2, -1, 3, 0, 2]);
  });

  it('is -Infinity when the window is too short for the labels (a repeat needs a blank between)', () => {
    const lp = framesOf(say('bb', 0.9, 1));
    const b = TOKENS.indexOf('b');
    expect(ctcLogLikelihood(lp, [b, b], 0, 2)).toBe(Number.NEGATIVE_INFINITY);
    expect(ctcLogLikelihood(lp, [b], 0, 0)).toBe(Number.NEGATIVE_INFINITY);
    expect(ctcLogLikelihood(lp, [b], 0, 2)).toBeGreaterThan(Math.log(0.8));
    expect(ctcLogLikelihood(lp, [], 0, 0)).toBe(0); // nothing to explain in no frames: certainty
  });

  it('scores only the window asked for, not the frames around it', () => {
    const lp = framesOf([...say('b', 0.9), ...say('i', 0.9)]);
    const [b, i] = [TOKENS.indexOf('b'), TOKENS.indexOf('i')];
    expect(ctcLogLikelihood(lp, [b], 0, 3)).toBeGreaterThan(ctcLogLikelihood(lp, [i], 0, 3) + 10);
    expect(ctcLogLikelihood(lp, [i], 3, 6)).toBeGreaterThan(ctcLogLikelihood(lp, [b], 3, 6) + 10);
  });
});
