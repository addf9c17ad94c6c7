/**
 * The aligner's cost table, built from the catalog: 0 for canonical pronunciations, a token cost
 * for accepted variants (so when one element could answer either of two items, the item it is
 * canonical for wins the tie: `ɛm` is m_letter's name and only a variant of n_letter), a
 * phonetic-similarity cost for near misses, 1 for the rest. Insertions and omissions cost 1 each,
 * so one wrong answer is a substitution, not an omission plus an insertion.
 *
 * Speech in the neighbour padding may answer an item (a late or early answer: canonical or
 * accepted) or match nothing at no cost, but it never counts as a wrong answer: each element has a
 * "heard in padding" twin column (id + elements) whose non-answers cost more than an omission plus
 * a free insertion, so the aligner never chooses them. An answer in the padding costs
 * `paddingAnswer`, just under an omission and above an omission less an accepted variant: the
 * phrase's own audio wins over its neighbours' — an item is credited from the padding only when
 * its own span has nothing for it, never by charging its own answer to another item as a near
 * miss or a variant (the neighbour's answer is the neighbour's).
 *
 * Time: the table's `insert` is only the default. Children give one answer per item with pauses
 * between answers, so the judge prices each heard element's insertion by the pauses around it
 * (phrase.ts insertCostsOf): an element set off by pauses of at least `answerPauseMs` on both sides
 * is an answer to some item and costs `separateInsert` to call extra; one joined to a neighbouring
 * element within less than that is part of another answer's attempt (a false start, "b-ɑɹ") and
 * costs `joinedInsert`, well below an unrelated substitution, so one stray sound no longer turns
 * two answers into two near-miss substitutions (issue #23: 1 + 0.81 beat 1 + 1).
 *
 * Ties: a stray answer before a phrase can cost exactly as much read as a shift (every item
 * substituted by its neighbour's answer) as read right (the stray inserted, the shifted items back
 * on their answers, one omission): `ɑ ɹʌ p γ` for Z, P, E, M's sounds is 0.875 + 0.6875 + 1 + 0.875
 * either way. The aligner's own tie-break (diagonal first) took the shift and lost P's correct
 * `p`; `substitutionTieBreak` on every wrong answer makes the reading with fewer wrong answers win,
 * which no cost difference larger than it can change.
 *
 * The defaults were tuned on the examples and the held-out EVAL espeak activities (festival as the
 * check; figures in the change's report): decoded CTC spikes of one answer lie < 200 ms apart, of
 * separate answers > 350 ms, so any pause threshold from 200 to 500 ms gives the same verdicts;
 * `joinedInsert` from 0.3 to 0.7 gives the same espeak figures (0.5, the middle); a
 * `separateInsert` above 1.05 made genuine insertion-plus-skip phrases positional (espeak exact
 * verdicts 859 -> 857 at 1.1), so a separate answer keeps the plain insertion cost.
 */
import type { CostTable } from '../../aligner';
import { type ItemCatalog, PronunciationKind } from '../items';

/** Weights of the cost table. */
export interface CostWeights {
  readonly insert: number;
  readonly delete: number;
  /** Cost of an element unrelated to the item. */
  readonly unrelated: number;
  /** Cost of the nearest possible miss (one symbol of a long pronunciation off). */
  readonly nearMissFloor: number;
  /** Cost of an accepted variant: far below any error, just above a canonical answer. */
  readonly acceptedVariant: number;
  /** Cost of an answer heard in the neighbour padding (see the module comment for its bounds). */
  readonly paddingAnswer: number;
  /** Shortest pause (ms, between one element's end and the next one's start) that separates two answers. */
  readonly answerPauseMs: number;
  /** Insertion cost of an element with such a pause (or the phrase's edge) on both sides: a separate answer. */
  readonly separateInsert: number;
  /** Insertion cost of an element closer than `answerPauseMs` to a neighbouring element: part of another answer's attempt. */
  readonly joinedInsert: number;
  /**
   * Added to every wrong-answer (substitution) cost: between two readings that explain what was
   * heard equally well, the one with fewer wrong answers wins, so a correct answer heard is credited
   * (see the module comment). A power of two far below every other weight: it only breaks ties.
   */
  readonly substitutionTieBreak: number;
}

/** Default weights. */
export const DEFAULT_COST_WEIGHTS: CostWeights = {
  insert: 1,
  delete: 1,
  unrelated: 1,
  nearMissFloor: 0.5,
  acceptedVariant: 0.01,
  paddingAnswer: 0.995,
  answerPauseMs: 300,
  separateInsert: 1,
  joinedInsert: 0.5,
  substitutionTieBreak: 2 ** -16,
};

const VOWELS = new Set(['a', 'æ', 'ɛ', 'i', 'ɪ', 'o', 'ɑ', 'u', 'ʌ', 'ɝ', 'γ', 'ɔ', 'ʊ']);
const CONSONANT_CLASSES: Record<string, string> = {
  b: 'stop',
  d: 'stop',
  g: 'stop',
  k: 'stop',
  p: 'stop',
  t: 'stop',
  f: 'fricative',
  v: 'fricative',
  s: 'fricative',
  z: 'fricative',
  θ: 'fricative',
  ð: 'fricative',
  ʃ: 'fricative',
  ʒ: 'fricative',
  h: 'fricative',
  j: 'affricate',
  x: 'affricate',
  m: 'nasal',
  n: 'nasal',
  l: 'approximant',
  ɹ: 'approximant',
  w: 'approximant',
  y: 'approximant',
};

/** Cost of replacing one phone symbol by another: same class is cheaper. */
function symbolCost(a: string, b: string): number {
  if (a === b) return 0;
  const va = VOWELS.has(a);
  const vb = VOWELS.has(b);
  if (va && vb) return 0.5;
  if (va !== vb) return 1;
  return CONSONANT_CLASSES[a] !== undefined && CONSONANT_CLASSES[a] === CONSONANT_CLASSES[b] ? 0.5 : 0.75;
}

/** Weighted edit distance between two symbol strings, divided by the longer length (0..1). */
export function phoneticDistance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  if (x.length === 0 || y.length === 0) return x.length === y.length ? 0 : 1;
  let prev = new Float64Array(y.length + 1);
  let cur = new Float64Array(y.length + 1);
  for (let j = 0; j <= y.length; j++) prev[j] = j;
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min((prev[j - 1] as number) + symbolCost(x[i - 1] as string, y[j - 1] as string), (prev[j] as number) + 1, (cur[j - 1] as number) + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return Math.min(1, (prev[y.length] as number) / Math.max(x.length, y.length));
}

/** Builds the aligner's cost table for every (item, element) pair of the catalog, plus padding twins. */
export function buildCostTable(catalog: ItemCatalog, weights: CostWeights = DEFAULT_COST_WEIGHTS): CostTable {
  if (!(weights.paddingAnswer > weights.delete - weights.acceptedVariant && weights.paddingAnswer < weights.delete)) {
    throw new RangeError(
      `paddingAnswer must lie between delete − acceptedVariant (${weights.delete - weights.acceptedVariant}) and delete (${weights.delete}), got ${weights.paddingAnswer}`,
    );
  }
  const items = catalog.items.length;
  const own = catalog.elements.length;
  const columns = 2 * own;
  const sub = new Float64Array(items * columns);
  const kind = new Uint8Array(items * columns);
  // Above an omission plus a free insertion: a padding element is never a substitution.
  const neverInPadding = weights.delete + weights.insert + 1;
  for (const item of catalog.items) {
    const answers = [...item.pronunciations, ...item.accepted];
    const row = item.id * columns;
    for (let e = 0; e < own; e++) {
      const k = catalog.kind(item.id, e);
      kind[row + e] = k;
      kind[row + own + e] = k;
      if (k === PronunciationKind.Canonical) {
        sub[row + own + e] = weights.paddingAnswer;
        continue;
      }
      if (k === PronunciationKind.Accepted) {
        sub[row + e] = weights.acceptedVariant;
        sub[row + own + e] = weights.paddingAnswer + weights.acceptedVariant;
        continue;
      }
      const element = catalog.elements[e] as string;
      const nearest = Math.min(...answers.map((p) => phoneticDistance(element, p)));
      sub[row + e] = Math.min(weights.unrelated, weights.nearMissFloor + (weights.unrelated - weights.nearMissFloor) * nearest) + weights.substitutionTieBreak;
      sub[row + own + e] = neverInPadding;
    }
  }
  return { items, elements: columns, sub, kind, insert: weights.insert, delete: weights.delete };
}
