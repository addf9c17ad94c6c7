/**
 * Judges one phrase: aligns its expected items against the decoded elements (only the phrase's own
 * span counts; padding speech may answer an item or match nothing at no cost) and maps each item
 * to exactly one verdict by walking the edit path — never by position (the old truncation bug).
 */
import { performance } from 'node:perf_hooks';
import { EditOp, type PhraseAligner } from '../../aligner';
import type { Hypothesis, HypothesisElement } from '../decode';
import type { Item } from '../items';
import { type CostWeights, DEFAULT_COST_WEIGHTS } from './costs';
import { MAX_SPLIT_PAUSE_MS, nameForSound, reconsider, type SecondLook, type SecondLookConfig, spanWindow, substitutionWindow } from './secondLook';
import { type InsertedElement, type ItemVerdict, type PhraseResult, type Totals, Verdict } from './types';

/** One phrase ready to judge. */
export interface PhraseToJudge {
  readonly phraseIndex: number;
  readonly items: readonly Item[];
  readonly hypothesis: Hypothesis;
  /** Milliseconds of leading neighbour padding at the start of the decoded audio. */
  readonly leadMs: number;
  /** Milliseconds of the phrase's own audio after the leading padding. */
  readonly ownMs: number;
  /** `phraseIndex` of the phrase whose audio's end is the leading padding, when it is judged too. */
  readonly leadFrom?: number;
  /** `phraseIndex` of the phrase whose audio's start is the trailing padding, when it is judged too. */
  readonly trailFrom?: number;
  readonly warnings?: readonly string[];
}

/** Milliseconds {@link judgePhrases} spent per stage; pass one to have it filled in. */
export interface JudgeClock {
  /** The batched alignment. */
  alignMs: number;
  /** Second looks at substituted and omitted items (inside judging each phrase). */
  secondLookMs: number;
}

/** Runs `look` and adds its time to the clock's second-look total. */
function timed<T>(clock: JudgeClock | undefined, look: () => T): T {
  if (!clock) return look();
  const started = performance.now();
  try {
    return look();
  } finally {
    clock.secondLookMs += performance.now() - started;
  }
}

/** Counts verdicts into totals. */
export function totalsOf(verdicts: readonly ItemVerdict[], inserted: number): Totals {
  let correct = 0;
  let accepted = 0;
  let substituted = 0;
  let omitted = 0;
  let items = 0;
  for (const v of verdicts) {
    if (v.verdict === Verdict.Unscored) continue;
    items++;
    if (v.verdict === Verdict.Correct) correct++;
    else if (v.verdict === Verdict.Accepted) accepted++;
    else if (v.verdict === Verdict.Substituted) substituted++;
    else omitted++;
  }
  const good = correct + accepted;
  return { items, correct: good, accepted, errors: substituted + omitted, substituted, omitted, inserted, accuracy: items ? good / items : null };
}

/** Which decoded elements lie in the leading / trailing padding (by their midpoint). */
export function paddingCounts(elements: readonly HypothesisElement[], leadMs: number, ownMs: number): { lead: number; trail: number } {
  const mid = (e: HypothesisElement) => (e.startMs + e.endMs) / 2;
  let lead = 0;
  while (lead < elements.length && mid(elements[lead] as HypothesisElement) < leadMs) lead++;
  let trail = 0;
  while (trail < elements.length - lead && mid(elements[elements.length - 1 - trail] as HypothesisElement) >= leadMs + ownMs) trail++;
  return { lead, trail };
}

/** How sure the model was that nothing was said between two times: mean blank posterior there. */
function silenceConfidence(hyp: Hypothesis, fromMs: number, toMs: number): number {
  const from = Math.max(0, Math.floor(fromMs / hyp.frameMs));
  const to = Math.min(hyp.frames, Math.ceil(toMs / hyp.frameMs));
  let sum = 0;
  let n = 0;
  for (let f = from; f < to; f++) {
    if (hyp.frameIsBlank[f]) {
      sum += hyp.framePosterior[f] as number;
      n++;
    }
  }
  return n ? sum / n : 0.5;
}

/**
 * Insertion cost of each heard element, from the pauses around it (see costs.ts): an own element
 * whose gaps to the previous and the next own element are both at least `answerPauseMs` (the
 * phrase's edge counts as a pause) costs `separateInsert`; one closer than that to either
 * neighbour costs `joinedInsert`. Only the phrase's own elements are neighbours: padding audio is
 * another recording joined on, so its timing says nothing (padding entries are `insert`, and the
 * aligner keeps padding free anyway).
 *
 * @example
 * // "b-ɑɹ" (bi ends 40 ms before ɑɹ starts), then a pause, then "ɛs"
 * insertCostsOf(elements, 0, 0); // [joinedInsert, joinedInsert, separateInsert]
 */
export function insertCostsOf(elements: readonly HypothesisElement[], lead: number, trail: number, weights: CostWeights = DEFAULT_COST_WEIGHTS): Float64Array {
  const costs = new Float64Array(elements.length).fill(weights.insert);
  const end = elements.length - trail;
  for (let h = lead; h < end; h++) {
    const e = elements[h] as HypothesisElement;
    const before = h > lead ? e.startMs - (elements[h - 1] as HypothesisElement).endMs : Number.POSITIVE_INFINITY;
    const after = h + 1 < end ? (elements[h + 1] as HypothesisElement).startMs - e.endMs : Number.POSITIVE_INFINITY;
    costs[h] = before < weights.answerPauseMs || after < weights.answerPauseMs ? weights.joinedInsert : weights.separateInsert;
  }
  return costs;
}

/**
 * Builds the alignment request of a phrase: item ids, element ids (padding elements as their
 * twins, see buildCostTable), the padding counts and each element's insertion cost from the
 * pauses around it ({@link insertCostsOf}).
 */
export function alignInputOf(phrase: PhraseToJudge, elementCount: number, weights: CostWeights = DEFAULT_COST_WEIGHTS) {
  const elements = phrase.hypothesis.elements;
  const { lead, trail } = paddingCounts(elements, phrase.leadMs, phrase.ownMs);
  return {
    ref: Uint32Array.from(phrase.items, (i) => i.id),
    hyp: Uint32Array.from(elements, (e, h) => (h < lead || h >= elements.length - trail ? e.elementId + elementCount : e.elementId)),
    freeLead: lead,
    freeTrail: trail,
    insertCost: insertCostsOf(elements, lead, trail, weights),
  };
}

/** Most pieces on each side of an item's element that {@link answersInPieces} and {@link namesForSounds} try with it. */
const MAX_PIECES = 4;

/**
 * The spans `[from, to]` of hypothesis elements made of step `s`'s element and the inserted pieces
 * right before and after it (outside the padding, not yet absorbed, each piece within
 * {@link MAX_SPLIT_PAUSE_MS} of the next, at most {@link MAX_PIECES} a side): the fewest pieces
 * first; of as many, those before the element first.
 */
function spansWithPieces(
  elements: readonly HypothesisElement[],
  alignment: ReturnType<PhraseAligner['align']>,
  s: number,
  inPadding: (h: number) => boolean,
  absorbed: ReadonlySet<number>,
  borrow: (t: number) => boolean = () => false,
): [number, number][] {
  const piecesNextTo = (dir: -1 | 1): number[] => {
    const out: number[] = [];
    let previous = alignment.hypIndex[s] as number;
    let borrowedOne = false;
    for (let t = s + dir; t >= 0 && t < alignment.ops.length && out.length < MAX_PIECES; t += dir) {
      const borrowed = alignment.ops[t] !== EditOp.Insert;
      if (borrowed && (borrowedOne || !borrow(t))) break;
      borrowedOne ||= borrowed;
      const h = alignment.hypIndex[t] as number;
      if (inPadding(h) || absorbed.has(h)) break;
      const [a, b] = dir < 0 ? [elements[h], elements[previous]] : [elements[previous], elements[h]];
      if ((b as HypothesisElement).startMs - (a as HypothesisElement).endMs > MAX_SPLIT_PAUSE_MS) break;
      out.push(h);
      previous = h;
    }
    return out;
  };
  const h = alignment.hypIndex[s] as number;
  const before = piecesNextTo(-1).length;
  const after = piecesNextTo(1).length;
  const spans: [number, number][] = [];
  for (let n = 1; n <= before + after; n++) {
    for (let b = Math.min(n, before); b >= 0; b--) {
      if (n - b <= after) spans.push([h - b, h + n - b]);
    }
  }
  return spans;
}

/** What {@link answersInPieces} and {@link namesForSounds} work on: one phrase being judged. */
interface PieceJudging {
  readonly look: SecondLook;
  readonly phrase: PhraseToJudge;
  readonly alignment: ReturnType<PhraseAligner['align']>;
  /** Revised in place. */
  readonly verdicts: (ItemVerdict | undefined)[];
  readonly inPadding: (h: number) => boolean;
  /** Elements that became part of an item's answer (no longer insertions); added to. */
  readonly absorbed: Set<number>;
}

/**
 * An answer said in pieces: greedy decoding splits a long reading with a short pause in it
 * ("double … you") into several elements (`d o bʌ yu`); the alignment matches one piece to the item,
 * a substitution, and charges the others as insertions. For each item still substituted after its
 * second look, its element and the inserted pieces next to it ({@link spansWithPieces}) are looked
 * at again together. When the item's reading explains such a wider window (the same test and
 * margin as every second look), the verdict is revised and those pieces are part of the answer, no
 * longer insertions. A neighbouring item's element can be such a piece when that item is itself
 * still substituted and the inserted piece just beyond the span, on its side, is left to it as its
 * answer (`ɛs k yu` aligned as B heard `k`, Q heard `yu`, `ɛs` inserted: B heard `ɛs`, Q said in
 * pieces). A neighbour judged correct or accepted keeps its element, and so does one without such a
 * piece: the alignment's one-to-one reading of two wrong answers stands.
 * Adds the elements absorbed so to `absorbed`; revises `verdicts` in place.
 */
function answersInPieces(pj: PieceJudging, steps: readonly number[]): void {
  const { look, phrase, alignment, verdicts, inPadding, absorbed } = pj;
  const { elements, frames } = phrase.hypothesis;
  // A neighbouring item's element may be a piece when that item is still substituted: it was judged
  // wrong, and its element explains this item's reading better. It is then omitted.
  const stepOf = new Map<number, number>();
  for (let t = 0; t < alignment.ops.length; t++) if ((alignment.hypIndex[t] as number) >= 0) stepOf.set(alignment.hypIndex[t] as number, t);
  const insertedAt = (t: number) =>
    t >= 0 && t < alignment.ops.length && alignment.ops[t] === EditOp.Insert && !inPadding(alignment.hypIndex[t] as number) && !absorbed.has(alignment.hypIndex[t] as number);
  const wrongNeighbour = (t: number) =>
    alignment.ops[t] === EditOp.Substitute && !inPadding(alignment.hypIndex[t] as number) && verdicts[alignment.refIndex[t] as number]?.verdict === Verdict.Substituted;
  // A span that takes a neighbour's element must leave that neighbour the inserted piece just beyond
  // the span, on the neighbour's side, as its answer: without one, the alignment's one-to-one
  // reading (two wrong answers) stands. Returns, per borrowed element, the piece its item keeps.
  const keptPieces = (from: number, to: number, h: number): Map<number, number> | undefined => {
    const kept = new Map<number, number>();
    for (let k = from; k <= to; k++) {
      const t = stepOf.get(k) as number;
      if (k === h || alignment.ops[t] === EditOp.Insert) continue;
      const beyond = (stepOf.get(k < h ? from : to) as number) + (k < h ? -1 : 1);
      if (!insertedAt(beyond)) return undefined;
      kept.set(k, alignment.hypIndex[beyond] as number);
    }
    return kept;
  };
  for (const s of steps) {
    const r = alignment.refIndex[s] as number;
    const h = alignment.hypIndex[s] as number;
    if (absorbed.has(h) || verdicts[r]?.verdict !== Verdict.Substituted) continue;
    for (const [from, to] of spansWithPieces(elements, alignment, s, inPadding, absorbed, wrongNeighbour)) {
      const keeps = keptPieces(from, to, h);
      if (!keeps) continue;
      const verdict = verdicts[r] as ItemVerdict;
      const revised = reconsider(look, verdict, phrase.items[r] as Item, spanWindow(look, elements, from, to, frames));
      if (revised.verdict === Verdict.Substituted) continue;
      const pieces = elements.slice(from, to + 1).map((e) => e.element);
      verdicts[r] = { ...revised, secondLook: { from: Verdict.Substituted, greedy: pieces.join(' ') } };
      for (let k = from; k <= to; k++) {
        if (k === h) continue;
        absorbed.add(k);
        const kept = keeps.get(k);
        if (kept !== undefined) {
          // The neighbour keeps the inserted piece beyond the span as its (still wrong) answer.
          const t = stepOf.get(k) as number;
          const e = elements[kept] as HypothesisElement;
          const other = verdicts[alignment.refIndex[t] as number] as ItemVerdict;
          verdicts[alignment.refIndex[t] as number] = { ...other, heard: e.element, confidence: e.confidence, startMs: e.startMs, endMs: e.endMs };
          absorbed.add(kept);
        }
      }
      break;
    }
  }
}

/**
 * A letter's name said where its sound was expected, heard in pieces: greedy decoding often hears
 * a name's vowel apart from its consonant (`ɛm` as `ɛ` … `m`, `ka` as `k` … `ɛ`), the alignment
 * matches the consonant to the sound item, correct, and charges the rest as an insertion. For each
 * sound item judged correct or accepted (by greedy decoding or its second look) with inserted pieces
 * next to its element
 * ({@link spansWithPieces}), the wider window is scored: when the letter's name explains it better
 * than every acceptable reading of the sound by more than the second-look margin
 * ({@link nameForSound}), the item is substituted (heard: the name) and those pieces are its answer.
 * Adds the elements absorbed so to `absorbed`; revises `verdicts` in place.
 */
function namesForSounds(pj: PieceJudging, steps: readonly number[]): void {
  const { look, phrase, alignment, verdicts, inPadding, absorbed } = pj;
  const { elements, frames } = phrase.hypothesis;
  for (const s of steps) {
    const r = alignment.refIndex[s] as number;
    const h = alignment.hypIndex[s] as number;
    for (const [from, to] of spansWithPieces(elements, alignment, s, inPadding, absorbed)) {
      const verdict = verdicts[r] as ItemVerdict;
      const revised = nameForSound(look, verdict, phrase.items[r] as Item, spanWindow(look, elements, from, to, frames));
      if (revised === verdict) continue;
      const pieces = elements.slice(from, to + 1).map((e) => e.element);
      // What greedy decoding said: the item's verdict before any look (a sound the second look had
      // already revised from substituted keeps that origin).
      verdicts[r] = { ...revised, secondLook: { from: verdict.secondLook?.from ?? (verdict.verdict as 'correct' | 'accepted'), greedy: pieces.join(' ') } };
      for (let k = from; k <= to; k++) if (k !== h) absorbed.add(k);
      break;
    }
  }
}

/**
 * Scores one phrase with an alignment already computed (see {@link judgePhrases} for batches).
 * With `look`, substituted and omitted items get a second look (see secondLook.ts).
 */
export function judgeAligned(
  phrase: PhraseToJudge,
  alignment: ReturnType<PhraseAligner['align']>,
  freeLead: number,
  freeTrail: number,
  look?: SecondLook,
  clock?: JudgeClock,
): PhraseResult {
  const { items, hypothesis } = phrase;
  const frame = (ms: number) => Math.min(hypothesis.frames, Math.max(0, Math.round(ms / hypothesis.frameMs)));
  const elements = hypothesis.elements;
  const verdicts: (ItemVerdict | undefined)[] = items.map(() => undefined);
  const inserted: InsertedElement[] = [];
  /** The element each entry of `inserted` is. */
  const insertedFrom: number[] = [];
  /** Substituted items the second look left substituted: their step of the alignment. */
  const stillSubstituted: number[] = [];
  /** Sound items judged correct or accepted, by greedy decoding or its second look: their step of the alignment. */
  const soundsHeard: number[] = [];
  const context: string[] = [];
  const inPadding = (h: number) => h < freeLead || h >= elements.length - freeTrail;
  let itemsBefore = 0;
  let lastEndMs = phrase.leadMs;
  const steps = alignment.ops.length;
  for (let s = 0; s < steps; s++) {
    const op = alignment.ops[s] as number;
    const r = alignment.refIndex[s] as number;
    const h = alignment.hypIndex[s] as number;
    if (op === EditOp.Insert) {
      const e = elements[h] as HypothesisElement;
      if (inPadding(h)) context.push(e.element);
      else {
        inserted.push({ element: e.element, position: itemsBefore, confidence: e.confidence, startMs: e.startMs, endMs: e.endMs });
        insertedFrom.push(h);
      }
      lastEndMs = Math.max(lastEndMs, e.endMs);
      continue;
    }
    const item = items[r] as Item;
    itemsBefore = r + 1;
    if (op === EditOp.Delete) {
      // The gap runs from the last heard element to the next one that answers something.
      let nextStartMs = phrase.leadMs + phrase.ownMs;
      for (let t = s + 1; t < steps; t++) {
        const nh = alignment.hypIndex[t] as number;
        if (nh >= 0) {
          nextStartMs = Math.min(nextStartMs, (elements[nh] as HypothesisElement).startMs);
          break;
        }
      }
      const omitted: ItemVerdict = {
        position: r,
        item: item.name,
        expected: item.pronunciations,
        verdict: Verdict.Omitted,
        confidence: silenceConfidence(hypothesis, lastEndMs, nextStartMs),
      };
      verdicts[r] = look ? timed(clock, () => reconsider(look, omitted, item, { fromFrame: frame(lastEndMs), toFrame: frame(nextStartMs) })) : omitted;
      continue;
    }
    const e = elements[h] as HypothesisElement;
    const verdict = op === EditOp.Match ? Verdict.Correct : op === EditOp.Accept ? Verdict.Accepted : Verdict.Substituted;
    const judged: ItemVerdict = {
      position: r,
      item: item.name,
      expected: item.pronunciations,
      verdict,
      heard: e.element,
      confidence: e.confidence,
      startMs: e.startMs,
      endMs: e.endMs,
      ...(inPadding(h) ? { inPadding: true } : {}),
    };
    verdicts[r] = look && verdict === Verdict.Substituted ? timed(clock, () => reconsider(look, judged, item, substitutionWindow(look, elements, h, hypothesis.frames))) : judged;
    if (look && verdicts[r]?.verdict === Verdict.Substituted && !inPadding(h)) stillSubstituted.push(s);
    if (look && verdicts[r]?.verdict !== Verdict.Substituted && item.kind === 'sound' && !inPadding(h)) soundsHeard.push(s);
    lastEndMs = Math.max(lastEndMs, e.endMs);
  }
  const absorbed = new Set<number>();
  if (look) {
    timed(clock, () => {
      const pj: PieceJudging = { look, phrase, alignment, verdicts, inPadding, absorbed };
      answersInPieces(pj, stillSubstituted);
      namesForSounds(pj, soundsHeard);
    });
  }
  const missing = verdicts.indexOf(undefined);
  if (missing >= 0 || verdicts.length !== items.length) {
    throw new Error(`aligner returned a path without a verdict for item ${missing} of phrase ${phrase.phraseIndex}`);
  }
  const final = verdicts as ItemVerdict[];
  const kept = absorbed.size ? inserted.filter((_, i) => !absorbed.has(insertedFrom[i] as number)) : inserted;
  return {
    phraseIndex: phrase.phraseIndex,
    status: 'scored',
    items: final,
    inserted: kept,
    context,
    unparsed: hypothesis.unparsed.map((u) => ({ token: u.token, startMs: u.startMs, endMs: u.endMs })),
    heard: elements
      .filter((_, h) => !inPadding(h))
      .map((e) => e.element)
      .join(' '),
    audioMs: phrase.ownMs,
    totals: totalsOf(final, kept.length),
    warnings: phrase.warnings ?? [],
  };
}

/**
 * Aligns and judges several phrases with one batched aligner call. `elementCount` is the catalog's
 * element count (the aligner's table has twice as many columns). With `secondLook`, phrases whose
 * hypothesis carries log-probabilities get second looks at their substituted and omitted items.
 * With `clock`, the alignment and the second looks are timed separately. `weights` price the
 * insertions by pauses (the aligner's table was built from the same weights; default: both defaults).
 */
export function judgePhrases(
  phrases: readonly PhraseToJudge[],
  aligner: PhraseAligner,
  elementCount: number,
  secondLook?: SecondLookConfig,
  clock?: JudgeClock,
  weights: CostWeights = DEFAULT_COST_WEIGHTS,
): PhraseResult[] {
  const judgeAll = (batch: readonly PhraseToJudge[]): PhraseResult[] => {
    const started = performance.now();
    const inputs = batch.map((p) => alignInputOf(p, elementCount, weights));
    const alignments = aligner.alignBatch(inputs);
    if (clock) clock.alignMs += performance.now() - started;
    return batch.map((p, i) => {
      const input = inputs[i] as ReturnType<typeof alignInputOf>;
      const lp = p.hypothesis.logProbs;
      const look = secondLook && lp ? { ...secondLook, lp, frameMs: p.hypothesis.frameMs, windows: new Map() } : undefined;
      return judgeAligned(p, alignments[i] as ReturnType<PhraseAligner['align']>, input.freeLead, input.freeTrail, look, clock);
    });
  };
  const results = judgeAll(phrases);
  // Padding must not take a neighbour's answer: a phrase that credited an item from padding audio
  // its neighbour answers one of its own items with is judged again without that audio's elements.
  const retry = phrases.flatMap((p, i) => {
    const without = withoutNeighbourAnswers(p, results[i] as PhraseResult, phrases, results);
    return without ? [[i, without] as const] : [];
  });
  if (retry.length) {
    const again = judgeAll(retry.map(([, p]) => p));
    retry.forEach(([i], k) => {
      const result = again[k] as PhraseResult;
      // The left-out elements are still padding speech heard: context, as before.
      const p = phrases[i] as PhraseToJudge;
      const { lead, trail } = paddingCounts(p.hypothesis.elements, p.leadMs, p.ownMs);
      const answers = new Set(result.items.flatMap((v) => (v.inPadding ? [`${v.startMs}:${v.endMs}`] : [])));
      const context = p.hypothesis.elements.filter((e, h) => (h < lead || h >= p.hypothesis.elements.length - trail) && !answers.has(`${e.startMs}:${e.endMs}`));
      results[i] = { ...result, context: context.map((e) => e.element) };
    });
  }
  return results;
}

/** Own-audio spans (ms, the phrase's decoded timeline) of the elements that answer its items. */
function ownAnswerSpans(result: PhraseResult): (readonly [number, number])[] {
  return result.items.flatMap((v) =>
    v.verdict !== Verdict.Omitted && v.verdict !== Verdict.Unscored && !v.inPadding && v.startMs !== undefined && v.endMs !== undefined ? [[v.startMs, v.endMs] as const] : [],
  );
}

/**
 * The phrase with the padding elements its neighbours answer their own items with left out, when
 * one of its items was credited from such an element; undefined when nothing needs judging again.
 * The padding is the neighbour's own audio: the trailing padding starts where the next phrase's
 * own audio starts, the leading padding ends where the previous phrase's own audio ends, so an
 * element maps onto the neighbour's timeline by that shift. An item's own span wins over neighbour
 * audio (C O N N E L L Y, whose second N was credited with the next phrase's answer): one sound,
 * one answer. Elements the neighbour left unmatched stay: a late answer recorded at the start of the
 * next file still counts.
 */
function withoutNeighbourAnswers(phrase: PhraseToJudge, result: PhraseResult, phrases: readonly PhraseToJudge[], results: readonly PhraseResult[]): PhraseToJudge | undefined {
  if (!result.items.some((v) => v.inPadding)) return undefined;
  const elements = phrase.hypothesis.elements;
  const { lead, trail } = paddingCounts(elements, phrase.leadMs, phrase.ownMs);
  const neighbour = (phraseIndex: number | undefined) => {
    const at = phraseIndex === undefined ? -1 : phrases.findIndex((p) => p.phraseIndex === phraseIndex);
    return at < 0 ? undefined : { phrase: phrases[at] as PhraseToJudge, spans: ownAnswerSpans(results[at] as PhraseResult) };
  };
  const before = neighbour(phrase.leadFrom);
  const after = neighbour(phrase.trailFrom);
  const claimed = (e: HypothesisElement, shift: number, spans: readonly (readonly [number, number])[]) =>
    spans.some(([from, to]) => e.startMs + shift < to && e.endMs + shift > from);
  const drop = new Set<number>();
  elements.forEach((e, h) => {
    if (h < lead && before) {
      // Previous phrase's own audio ends at its leadMs + ownMs; this padding ends at this leadMs.
      if (claimed(e, before.phrase.leadMs + before.phrase.ownMs - phrase.leadMs, before.spans)) drop.add(h);
    } else if (h >= elements.length - trail && after) {
      // Next phrase's own audio starts at its leadMs; this padding starts at leadMs + ownMs.
      if (claimed(e, after.phrase.leadMs - phrase.leadMs - phrase.ownMs, after.spans)) drop.add(h);
    }
  });
  const stolen = result.items.some((v) => v.inPadding && elements.some((e, h) => drop.has(h) && e.startMs === v.startMs && e.endMs === v.endMs));
  if (!stolen) return undefined;
  return { ...phrase, hypothesis: { ...phrase.hypothesis, elements: elements.filter((_, h) => !drop.has(h)) } };
}
