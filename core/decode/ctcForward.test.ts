import fc from 'fast-check';
import { loadDefaultCatalog } from '../items';
import type { FrameLogProbs } from './ctc';
import { ctcLogLikelihood } from './ctcForward';

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
