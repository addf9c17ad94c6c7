/**
 * The manifest's token map: many model tokens onto one catalog symbol (`ə` and `ʌ` → `ʌ`, `eɪ` →
 * `a`), so a model trained on another phone set (espeak IPA) plugs in as it is. Applied to every
 * engine's logits right after inference (core/pipeline/score.ts): the decoder and the second look
 * only ever see the mapped vocabulary, and CPU and Triton results are mapped the same way.
 */
import type { PhraseLogits } from '../decode';

/**
 * A token map as a manifest writes it: an object (model token → symbol) or a list of
 * `[from, to]` pairs.
 *
 * @example
 * { "ə": "ʌ", "ʌ": "ʌ", "eɪ": "a", "aɪ": "γ", "iː": "i" }
 * [["ə", "ʌ"], ["eɪ", "a"]]
 */
export type TokenMapSpec = Readonly<Record<string, string>> | readonly (readonly [string, string])[];

/** The model's vocabulary as the manifest describes it, which a token map is checked against. */
export interface ModelTokens {
  readonly vocabulary: readonly string[];
  readonly blank: string;
  readonly separator: string;
}

/** One problem with a token map, at a path below `tokenMap` (the source token, or the pair's index). */
export interface TokenMapIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** The vocabulary the decoder sees, and which model tokens make each of its tokens. */
export interface MappedVocabulary {
  /** Decoder tokens, in the order of their first model token. */
  readonly tokens: readonly string[];
  /** Per decoder token: the indices of the model tokens merged into it (one for an unmerged token). */
  readonly sources: readonly (readonly number[])[];
  /** True when no two model tokens merge: the logits pass as they are, only names change. */
  readonly passThrough: boolean;
}

/** The map's `[from, to]` pairs in the order written. */
export function tokenMapPairs(spec: TokenMapSpec): (readonly [string, string])[] {
  return Array.isArray(spec) ? [...(spec as readonly (readonly [string, string])[])] : Object.entries(spec as Readonly<Record<string, string>>);
}

/**
 * What is wrong with a token map, or an empty list: every source must be a vocabulary token and
 * appear once, every target must be an alphabet symbol, the blank or the separator, and the blank
 * and the separator may only map to themselves (the decoder finds them by name).
 *
 * @example
 * tokenMapIssues({ 'ə': 'ʌ' }, manifest, catalog.alphabet); // []
 */
export function tokenMapIssues(spec: TokenMapSpec, model: ModelTokens, alphabet: readonly string[]): TokenMapIssue[] {
  const vocabulary = new Set(model.vocabulary);
  const targets = new Set([...alphabet, model.blank, model.separator]);
  const listed = Array.isArray(spec);
  const seen = new Set<string>();
  const issues: TokenMapIssue[] = [];
  tokenMapPairs(spec).forEach(([from, to], at) => {
    const path = [listed ? at : from];
    if (!vocabulary.has(from)) issues.push({ path, message: `maps "${from}", which is not a vocabulary token` });
    if (seen.has(from)) issues.push({ path, message: `maps "${from}" more than once` });
    seen.add(from);
    if ((from === model.blank || from === model.separator) && to !== from) {
      const which = from === model.blank ? 'blank' : 'separator';
      issues.push({ path, message: `maps the ${which} "${from}" to "${to}": the ${which} may only map to itself` });
    } else if (!targets.has(to)) {
      issues.push({ path, message: `maps "${from}" to "${to}", which is neither a symbol of the catalog alphabet nor the blank or separator` });
    }
  });
  return issues;
}

/**
 * The decoder's vocabulary for a model: each token renamed by the map (a token not in it keeps its
 * own name), tokens of the same name merged. The map is assumed valid ({@link tokenMapIssues}).
 *
 * @example
 * const mapped = mapVocabulary({ vocabulary: ['<pad>', '|', 'ə', 'ʌ'], tokenMap: { 'ə': 'ʌ' } });
 * // mapped.tokens: ['<pad>', '|', 'ʌ'], mapped.sources: [[0], [1], [2, 3]]
 */
export function mapVocabulary(model: { readonly vocabulary: readonly string[]; readonly tokenMap?: TokenMapSpec | undefined }): MappedVocabulary {
  const rename = new Map(model.tokenMap ? tokenMapPairs(model.tokenMap) : []);
  const at = new Map<string, number>();
  const tokens: string[] = [];
  const sources: number[][] = [];
  model.vocabulary.forEach((token, i) => {
    const name = rename.get(token) ?? token;
    const known = at.get(name);
    if (known === undefined) {
      at.set(name, tokens.length);
      tokens.push(name);
      sources.push([i]);
    } else (sources[known] as number[]).push(i);
  });
  return { tokens, sources, passThrough: tokens.length === model.vocabulary.length };
}

/**
 * One phrase's model logits on the decoder's vocabulary: the logits of merged tokens are combined
 * by log-sum-exp, so each merged token's softmax probability is the sum of its sources'; frames
 * are unchanged. Logits without merges are returned as they are (no copy).
 */
export function mapLogits(logits: PhraseLogits, mapped: MappedVocabulary): PhraseLogits {
  if (mapped.passThrough) return logits;
  const { data, frames, vocab } = logits;
  const width = mapped.tokens.length;
  if (vocab !== mapped.sources.reduce((n, s) => n + s.length, 0)) {
    throw new RangeError(`logits have ${vocab} classes but the token map covers a vocabulary of a different size`);
  }
  const out = new Float32Array(frames * width);
  for (let f = 0; f < frames; f++) {
    const row = f * vocab;
    for (let t = 0; t < width; t++) {
      const group = mapped.sources[t] as readonly number[];
      if (group.length === 1) {
        out[f * width + t] = data[row + (group[0] as number)] as number;
        continue;
      }
      let max = Number.NEGATIVE_INFINITY;
      for (const v of group) max = Math.max(max, data[row + v] as number);
      let sum = 0;
      for (const v of group) sum += Math.exp((data[row + v] as number) - max);
      out[f * width + t] = max + Math.log(sum);
    }
  }
  return { data: out, frames, vocab: width };
}
