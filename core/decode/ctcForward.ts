/**
 * CTC forward algorithm: the likelihood of a label sequence summed over every frame path, over a
 * window of a phrase's frames. Greedy decoding (`ctc.ts`) keeps one path; this keeps them all.
 */
import type { FrameLogProbs } from './ctc';

const NEG_INF = Number.NEGATIVE_INFINITY;

/**
 * Beyond this gap between two log-likelihoods of magnitude ≥ 1, the smaller cannot move the larger:
 * log1p(exp(-gap)) < e^-38 ≈ 3.1e-17 < 2^-54 ≤ |larger|·2^-54, under half a unit in the last place of
 * the larger (whichever way it rounds, powers of two included), so the sum rounds back to the larger.
 */
const NEGLIGIBLE_GAP = 38;

/**
 * log(e^a + e^b) without overflow; -Infinity is the log of zero. When the smaller term is too small
 * to change the larger's double (see {@link NEGLIGIBLE_GAP}) it returns the larger without calling
 * exp and log1p: the same double as the full formula, for less than half the cost.
 */
export function logAdd(a: number, b: number): number {
  if (a === NEG_INF) return b;
  if (b === NEG_INF) return a;
  if (a > b) return a <= -1 && a - b > NEGLIGIBLE_GAP ? a : a + Math.log1p(Math.exp(b - a));
  return b <= -1 && b - a > NEGLIGIBLE_GAP ? b : b + Math.log1p(Math.exp(a - b));
}

/**
 * Label sequences stored as a prefix tree, so that {@link ctcLogLikelihoods} runs the forward
 * algorithm once per distinct prefix rather than once per sequence: `bi`, `bʌ` and `b` share the
 * states of their `b`. Node 0 is the root (the empty prefix); every other node is one label after
 * its parent, and comes after it.
 */
export class LabelTree {
  /** Number of sequences the tree was built from. */
  readonly size: number;
  /** Per node: its label (-1 for the root). */
  readonly label: Int32Array;
  /** Per node: its parent node (-1 for the root). */
  readonly parent: Int32Array;
  /** Per node: whether a path may go straight from its parent's label into its own (they differ). */
  readonly skip: Uint8Array;
  /** Per node: whether a longer sequence continues past it. */
  readonly inner: Uint8Array;
  /** Per node: whether some sequence ends at it. */
  readonly ends: Uint8Array;
  /** Per sequence: the node of its last label (0 for an empty sequence, -1 for a missing one). */
  readonly last: Int32Array;

  /** Builds the tree of `sequences`; an undefined sequence has no likelihood (NaN). */
  constructor(sequences: readonly (ArrayLike<number> | undefined)[]) {
    const label = [-1];
    const parent = [-1];
    const inner = [0];
    const ends = [0];
    const children = [new Map<number, number>()];
    this.size = sequences.length;
    this.last = new Int32Array(sequences.length);
    sequences.forEach((labels, i) => {
      if (!labels) {
        this.last[i] = -1;
        return;
      }
      let node = 0;
      for (let k = 0; k < labels.length; k++) {
        const l = labels[k] as number;
        const kids = children[node] as Map<number, number>;
        let next = kids.get(l);
        if (next === undefined) {
          next = label.length;
          kids.set(l, next);
          label.push(l);
          parent.push(node);
          inner.push(0);
          ends.push(0);
          children.push(new Map());
        }
        inner[node] = 1;
        node = next;
      }
      ends[node] = 1;
      this.last[i] = node;
    });
    this.label = Int32Array.from(label);
    this.parent = Int32Array.from(parent);
    this.inner = Uint8Array.from(inner);
    this.ends = Uint8Array.from(ends);
    // A repeated label needs a blank between, or the two would merge; the root has no label.
    this.skip = Uint8Array.from(parent, (p, n) => (p > 0 && label[p] !== label[n] ? 1 : 0));
  }
}

/**
 * log P(sequence | frames [from, to)) under CTC for every sequence of `tree` (NaN for a missing
 * one): blank (or the word separator) may fill the frames before the first and after the last
 * label, blanks only between labels. -Infinity where the window is too short for the labels.
 *
 * The forward states of a sequence l₁…l_L are "filler so far" (state 0), "in label k" and "blank
 * after label k" for k < L, and "filler after l_L". Each state at a frame depends only on itself
 * and the states just before it at the previous frame, so all but the last are the same for every
 * sequence sharing the prefix l₁…l_k: they are kept once per tree node (`inLabel`; `blankAfter` for
 * an inner node, which for the root is state 0; `fillerAfter` for a node that ends a sequence) and
 * computed in the same operations, so to the same doubles, as for one sequence on its own. A frame
 * updates every node in place from the last node down: a node reads its parent's states (an earlier
 * node, not yet updated) and its own, all at the previous frame. The nodes of a frame do not depend
 * on each other, which lets the CPU overlap their exp and log1p calls.
 *
 * @example
 * const tree = new LabelTree([[tokens.indexOf('b')], [tokens.indexOf('b'), tokens.indexOf('i')]]);
 * const [b, bi] = ctcLogLikelihoods(lp, tree, 10, 25);
 */
export function ctcLogLikelihoods(lp: FrameLogProbs, tree: LabelTree, from: number, to: number): Float64Array {
  const { data, vocab, blank, separator } = lp;
  const { label, parent, skip, inner, ends, last } = tree;
  const T = Math.max(0, to - from);
  const nodes = label.length;
  const result = new Float64Array(tree.size);
  if (T === 0) {
    // Nothing to explain in no frames: certain for the empty sequence, impossible for any other.
    for (let i = 0; i < tree.size; i++) result[i] = last[i] === -1 ? Number.NaN : last[i] === 0 ? 0 : NEG_INF;
    return result;
  }
  // Filler: blank or separator, log(P(blank) + P(separator)).
  const fillerAt = (row: number) => logAdd(data[row + blank] as number, separator >= 0 ? (data[row + separator] as number) : NEG_INF);
  const inLabel = new Float64Array(nodes).fill(NEG_INF);
  const blankAfter = new Float64Array(nodes).fill(NEG_INF);
  const fillerAfter = new Float64Array(nodes).fill(NEG_INF);
  let silence = 0;
  for (let t = 0; t < T; t++) {
    const row = (from + t) * vocab;
    const filler = fillerAt(row);
    silence += filler;
    if (t === 0) {
      // The first frame: filler, or the first label.
      blankAfter[0] = filler;
      for (let n = 1; n < nodes; n++) if (parent[n] === 0) inLabel[n] = data[row + (label[n] as number)] as number;
      continue;
    }
    const blankLp = data[row + blank] as number;
    for (let n = nodes - 1; n > 0; n--) {
      const here = inLabel[n] as number;
      // After the last label: filler, like before the first.
      if (ends[n]) fillerAfter[n] = logAdd(fillerAfter[n] as number, here) + filler;
      // Between two labels: blank only (the separator splits words).
      if (inner[n]) blankAfter[n] = logAdd(blankAfter[n] as number, here) + blankLp;
      const p = parent[n] as number;
      let a = logAdd(here, blankAfter[p] as number);
      // Straight from the parent's label, no blank between: only if the two labels differ.
      if (skip[n]) a = logAdd(a, inLabel[p] as number);
      inLabel[n] = a + (data[row + (label[n] as number)] as number);
    }
    blankAfter[0] = (blankAfter[0] as number) + filler;
  }
  // A path ends in the last label or in the filler after it.
  for (let i = 0; i < tree.size; i++) {
    const n = last[i] as number;
    result[i] = n === -1 ? Number.NaN : n === 0 ? silence : logAdd(fillerAfter[n] as number, inLabel[n] as number);
  }
  return result;
}

/**
 * log P(labels | frames [from, to)) under CTC for one label sequence (see {@link ctcLogLikelihoods},
 * which scores many over one window for little more than the cost of one).
 *
 * @example
 * // How well the window explains the element "bi" versus silence (no labels at all):
 * const bi = ctcLogLikelihood(lp, [tokens.indexOf('b'), tokens.indexOf('i')], 10, 25);
 * const silence = ctcLogLikelihood(lp, [], 10, 25);
 */
export function ctcLogLikelihood(lp: FrameLogProbs, labels: ArrayLike<number>, from: number, to: number): number {
  return ctcLogLikelihoods(lp, new LabelTree([labels]), from, to)[0] as number;
}
