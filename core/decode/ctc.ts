/**
 * Greedy CTC decoding: per-frame argmax, merge repeats, then drop blanks (the old system dropped
 * blanks first, so `b <blank> b` became one `b`). The separator token splits words.
 */

import { nativeSoftmax } from '../../aligner/native';
import type { ItemCatalog } from '../items';
import { expNonPositive, FRACTION, POWER } from './exp';
import { segmentWord } from './segment';

/** Logits of one phrase: `frames × vocab` row-major, only the frames that belong to the phrase. */
export interface PhraseLogits {
  readonly data: Float32Array;
  readonly frames: number;
  readonly vocab: number;
}

/** What the decoder needs to know about the model's output. */
export interface DecoderVocabulary {
  readonly tokens: readonly string[];
  readonly blank: string;
  readonly separator: string;
  /** Milliseconds per logit frame. */
  readonly frameMs: number;
}

/** A run of identical non-blank frames after merging. */
export interface TokenRun {
  readonly token: string;
  /** First frame of the run. */
  readonly start: number;
  /** One past the last frame. */
  readonly end: number;
}

/** One decoded element of the hypothesis. */
export interface HypothesisElement {
  readonly element: string;
  readonly elementId: number;
  /** Mean of the frame max-posteriors over the frames it spans. */
  readonly confidence: number;
  readonly startMs: number;
  readonly endMs: number;
  /** Index of the word (separator-delimited) it was parsed from. */
  readonly word: number;
}

/** A token that fits no element: kept and reported, never silently dropped. */
export interface UnparsedToken {
  readonly token: string;
  readonly confidence: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly word: number;
}

/** Per-frame log-softmax of the logits (`frames × vocab`), for likelihoods over windows (second look). */
export interface FrameLogProbs {
  readonly data: Float32Array;
  readonly vocab: number;
  /** Token index of the CTC blank. */
  readonly blank: number;
  /** Token index of the word separator, -1 if the vocabulary has none. */
  readonly separator: number;
}

/** The decoded hypothesis of one phrase. */
export interface Hypothesis {
  readonly elements: readonly HypothesisElement[];
  readonly unparsed: readonly UnparsedToken[];
  readonly frames: number;
  readonly frameMs: number;
  /** Max posterior of each frame (softmax of the logits). */
  readonly framePosterior: Float32Array;
  /** Whether each frame's argmax was the blank. */
  readonly frameIsBlank: Uint8Array;
  /** Log-probabilities of every token per frame; absent in hand-built hypotheses (no second look). */
  readonly logProbs?: FrameLogProbs;
}

/** Per frame: the argmax token, its softmax posterior, and the log-softmax of every token. */
export interface FrameScores {
  readonly best: Int32Array;
  readonly posterior: Float32Array;
  /** `frames × vocab`, row-major. */
  readonly logProbs: Float32Array;
  readonly frames: number;
  readonly vocab: number;
}

/**
 * Per-frame argmax token index, its softmax posterior, and the log-softmax of every token. With
 * `rows`, only frames `[from, to)` are scored (each frame alone: the same values as a full run);
 * the others keep zeros — for callers that read no other frame. The argmax and the softmax sums
 * run in the native module where it is built (aligner/src/dsp.rs: the same operations on the same
 * doubles, so the same bits; `native: false` runs them here, as tests compare).
 */
export function frameArgmax(logits: PhraseLogits, rows?: { readonly from: number; readonly to: number }, options: { native?: boolean } = {}): FrameScores {
  const { data, frames, vocab } = logits;
  if (data.length < frames * vocab) throw new RangeError(`logits hold ${data.length} values, expected ${frames} × ${vocab}`);
  const best = new Int32Array(frames);
  const posterior = new Float32Array(frames);
  const logProbs = new Float32Array(frames * vocab);
  const from = Math.max(0, rows?.from ?? 0);
  const to = Math.min(frames, rows?.to ?? frames);
  const native = options.native === false || vocab === 0 || to <= from ? undefined : nativeSoftmax();
  if (native) {
    const sums = new Float64Array(frames);
    native(data, vocab, from, to, FRACTION, POWER, best, sums);
    for (let f = from; f < to; f++) {
      const row = f * vocab;
      const sum = sums[f] as number;
      posterior[f] = 1 / sum;
      const norm = (data[row + (best[f] as number)] as number) + Math.log(sum);
      for (let v = 0; v < vocab; v++) logProbs[row + v] = (data[row + v] as number) - norm;
    }
    return { best, posterior, logProbs, frames, vocab };
  }
  for (let f = from; f < to; f++) {
    const row = f * vocab;
    let bi = 0;
    let bv = data[row] as number;
    for (let v = 1; v < vocab; v++) {
      const x = data[row + v] as number;
      if (x > bv) {
        bv = x;
        bi = v;
      }
    }
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += expNonPositive((data[row + v] as number) - bv);
    best[f] = bi;
    posterior[f] = 1 / sum;
    const norm = bv + Math.log(sum);
    for (let v = 0; v < vocab; v++) logProbs[row + v] = (data[row + v] as number) - norm;
  }
  return { best, posterior, logProbs, frames, vocab };
}

/** Merges repeated frames, then drops blanks; separator runs are kept (they split words). */
export function collapseFrames(best: Int32Array, tokens: readonly string[], blank: string): TokenRun[] {
  const runs: TokenRun[] = [];
  let start = 0;
  for (let f = 1; f <= best.length; f++) {
    if (f === best.length || best[f] !== best[start]) {
      const token = tokens[best[start] as number] as string;
      if (token !== blank) runs.push({ token, start, end: f });
      start = f;
    }
  }
  return runs;
}

/**
 * Decodes one phrase's logits into elements of the catalog.
 *
 * @example
 * const hyp = decodePhrase(logits, { tokens, blank: '<pad>', separator: '|', frameMs: 20 }, catalog);
 */
export function decodePhrase(logits: PhraseLogits, vocabulary: DecoderVocabulary, catalog: ItemCatalog): Hypothesis {
  if (logits.vocab !== vocabulary.tokens.length) {
    throw new RangeError(`logits have ${logits.vocab} classes but the vocabulary has ${vocabulary.tokens.length} tokens`);
  }
  return decodeFrames(frameArgmax(logits), vocabulary, catalog);
}

/**
 * {@link decodePhrase} from per-frame scores already computed ({@link frameArgmax} is a function of
 * each frame alone, so scores gathered frame by frame from several passes are those of the gathered
 * logits, bit for bit).
 */
export function decodeFrames(scores: FrameScores, vocabulary: DecoderVocabulary, catalog: ItemCatalog): Hypothesis {
  if (scores.vocab !== vocabulary.tokens.length) {
    throw new RangeError(`frame scores have ${scores.vocab} classes but the vocabulary has ${vocabulary.tokens.length} tokens`);
  }
  const { best, posterior, logProbs } = scores;
  const blankIndex = vocabulary.tokens.indexOf(vocabulary.blank);
  const frameIsBlank = new Uint8Array(best.length);
  for (let f = 0; f < best.length; f++) frameIsBlank[f] = best[f] === blankIndex ? 1 : 0;
  const runs = collapseFrames(best, vocabulary.tokens, vocabulary.blank);
  const elements: HypothesisElement[] = [];
  const unparsed: UnparsedToken[] = [];
  const meanPosterior = (start: number, end: number) => {
    let s = 0;
    for (let f = start; f < end; f++) s += posterior[f] as number;
    return end > start ? s / (end - start) : 0;
  };
  const ms = (frame: number) => frame * vocabulary.frameMs;
  let word: TokenRun[] = [];
  let wordIndex = 0;
  const flush = () => {
    if (word.length === 0) return;
    const parse = segmentWord(
      word.map((r) => r.token),
      catalog,
    );
    for (const piece of parse) {
      const first = word[piece.start] as TokenRun;
      const last = word[piece.end - 1] as TokenRun;
      if (piece.element === undefined) {
        unparsed.push({ token: first.token, confidence: meanPosterior(first.start, first.end), startMs: ms(first.start), endMs: ms(first.end), word: wordIndex });
      } else {
        elements.push({
          element: piece.element,
          elementId: catalog.elementId(piece.element) as number,
          confidence: meanPosterior(first.start, last.end),
          startMs: ms(first.start),
          endMs: ms(last.end),
          word: wordIndex,
        });
      }
    }
    word = [];
    wordIndex++;
  };
  for (const run of runs) {
    if (run.token === vocabulary.separator) flush();
    else word.push(run);
  }
  flush();
  return {
    elements,
    unparsed,
    frames: scores.frames,
    frameMs: vocabulary.frameMs,
    framePosterior: posterior,
    frameIsBlank,
    logProbs: { data: logProbs, vocab: scores.vocab, blank: blankIndex, separator: vocabulary.tokens.indexOf(vocabulary.separator) },
  };
}
