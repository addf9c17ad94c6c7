/**
 * CTC forward algorithm: the likelihood of a label sequence summed over every frame path, over a
 * window of a phrase's frames. Greedy decoding (`ctc.ts`) keeps one path; this keeps them all.
 */
import type { FrameLogProbs } from './ctc';

/** log(e^a + e^b) without overflow; -Infinity is the log of zero. */
function logAdd(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/**
 * log P(labels | frames [from, to)) under CTC: blank (or the word separator) may fill the frames
 * before the first and after the last label, blanks only between labels. -Infinity when the window
 * is too short for the labels.
 *
 * @example
 * // How well the window explains the element "bi" versus silence (no labels at all):
 * const bi = ctcLogLikelihood(lp, [tokens.indexOf('b'), tokens.indexOf('i')], 10, 25);
 * const silence = ctcLogLikelihood(lp, [], 10, 25);
 */
export function ctcLogLikelihood(lp: FrameLogProbs, labels: ArrayLike<number>, from: number, to: number): number {
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
