/**
 * Labels of a recorded activity (`expected.json` beside its manifest): what the child actually said
 * for each item. Parsed and checked against the activity as scored, so a label file that names an
 * item the activity lacks is refused with a message naming the file — never silently misaligned.
 */
import { ReadScoreInputError } from '../errors';
import type { ActivityResult, Verdict } from '../scoring/types';

/** What a label may say about an item (a labelled item is never `unscored`). */
export const LabelVerdict = { Correct: 'correct', Accepted: 'accepted', Substituted: 'substituted', Omitted: 'omitted' } as const;
export type LabelVerdict = (typeof LabelVerdict)[keyof typeof LabelVerdict];

const LABEL_VERDICTS: readonly string[] = Object.values(LabelVerdict);

/** Codes of {@link LabelError}. */
export const LabelErrorCode = {
  /** Not JSON, or not the expected.json shape. */
  Malformed: 'malformed-labels',
  /** The labels name a phrase, an item or an activity id the activity does not have. */
  Mismatch: 'labels-mismatch',
  /** The labels file cannot be read (not a regular file, permission denied, too large). */
  Unreadable: 'unreadable-labels',
} as const;
export type LabelErrorCode = (typeof LabelErrorCode)[keyof typeof LabelErrorCode];

/** A labels file that cannot be used; `input` is the file. */
export class LabelError extends ReadScoreInputError {
  declare readonly code: LabelErrorCode;
  // biome-ignore lint/complexity/noUselessConstructor: narrows the code type
  constructor(code: LabelErrorCode, input: string, message: string) {
    super(code, input, message);
  }
}

/** The label of one item. */
export interface ItemLabel {
  readonly item: string;
  readonly verdict: LabelVerdict;
  /** What was said instead (substituted items). */
  readonly heardAs?: string;
}

/** The labels of one activity, as in expected.json. */
export interface ActivityLabels {
  readonly activityId?: string;
  readonly phrases: readonly { readonly phraseIndex: number; readonly items: readonly ItemLabel[] }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses the text of a labels file; `source` (its path) names it in errors.
 *
 * @example
 * parseLabels('{"phrases":[{"phraseIndex":0,"items":[{"item":"a_letter","verdict":"correct"}]}]}', 'x/expected.json')
 */
export function parseLabels(text: string, source: string): ActivityLabels {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new LabelError(LabelErrorCode.Malformed, source, `malformed JSON (${(error as Error).message})`);
  }
  const bad = (where: string, what: string): never => {
    throw new LabelError(LabelErrorCode.Malformed, source, `${where} ${what}`);
  };
  if (!isObject(raw)) return bad('the file', 'is not a JSON object');
  if (raw.activityId !== undefined && typeof raw.activityId !== 'string') bad('activityId', 'is not a string');
  if (!Array.isArray(raw.phrases)) return bad('phrases', 'is missing or not an array');
  const seen = new Set<number>();
  const phrases = raw.phrases.map((p: unknown, i: number) => {
    const at = `phrases[${i}]`;
    if (!isObject(p)) return bad(at, 'is not an object');
    const phraseIndex = p.phraseIndex;
    if (typeof phraseIndex !== 'number' || !Number.isInteger(phraseIndex) || phraseIndex < 0) return bad(`${at}.phraseIndex`, 'is not an integer ≥ 0');
    if (seen.has(phraseIndex)) bad(`${at}.phraseIndex`, `repeats phrase ${phraseIndex}`);
    seen.add(phraseIndex);
    if (!Array.isArray(p.items)) return bad(`${at}.items`, 'is missing or not an array');
    const items = p.items.map((it: unknown, k: number): ItemLabel => {
      const where = `${at}.items[${k}]`;
      if (!isObject(it)) return bad(where, 'is not an object');
      if (typeof it.item !== 'string' || it.item === '') return bad(`${where}.item`, 'is missing or not a string');
      if (typeof it.verdict !== 'string' || !LABEL_VERDICTS.includes(it.verdict)) {
        return bad(`${where}.verdict`, `is ${JSON.stringify(it.verdict)}; expected one of ${LABEL_VERDICTS.join(', ')}`);
      }
      if (it.heardAs !== undefined && typeof it.heardAs !== 'string') bad(`${where}.heardAs`, 'is not a string');
      return { item: it.item, verdict: it.verdict as LabelVerdict, ...(typeof it.heardAs === 'string' ? { heardAs: it.heardAs } : {}) };
    });
    return { phraseIndex, items };
  });
  return { ...(typeof raw.activityId === 'string' ? { activityId: raw.activityId } : {}), phrases };
}

/** Letter name or letter sound. */
export type ItemKind = 'name' | 'sound';

/** One labelled item next to the scorer's judgement of it. */
export interface LabelledItem {
  readonly activityId: string;
  readonly phraseIndex: number;
  readonly position: number;
  readonly item: string;
  readonly kind: ItemKind;
  /** What the label says. */
  readonly truth: LabelVerdict;
  /** What was said instead, per the label (substitutions). */
  readonly said?: string;
  /** What the scorer judged. */
  readonly verdict: Verdict;
  /** The element the scorer heard for it (absent when it judged the item omitted or unscored). */
  readonly heard?: string;
}

/** The labelled items of a scored activity, and how many of its items carry no label. */
export interface LabelledActivity {
  readonly items: readonly LabelledItem[];
  readonly unlabelled: number;
}

/**
 * Pairs each label with the scorer's verdict for the item at the same phrase and position (as the
 * end-to-end test does). A label for a phrase or position the activity does not have, or naming
 * another item than the activity has there, is a LabelError `labels-mismatch` naming `labelsSource`.
 */
export function labelResult(labels: ActivityLabels, result: ActivityResult, labelsSource: string, kindOf: (item: string) => ItemKind): LabelledActivity {
  const mismatch = (message: string): never => {
    throw new LabelError(LabelErrorCode.Mismatch, labelsSource, message);
  };
  if (labels.activityId !== undefined && labels.activityId !== result.activityId) {
    mismatch(`labels activity ${labels.activityId}, but the activity scored is ${result.activityId}`);
  }
  const phrases = new Map(result.phrases.map((p) => [p.phraseIndex, p]));
  const items: LabelledItem[] = [];
  for (const truth of labels.phrases) {
    const phrase = phrases.get(truth.phraseIndex);
    if (!phrase) return mismatch(`labels phrase ${truth.phraseIndex}, which the activity does not have (its phrases: ${[...phrases.keys()].join(', ') || 'none'})`);
    truth.items.forEach((label, position) => {
      const got = phrase.items[position];
      if (!got) mismatch(`labels ${label.item} as item ${position} of phrase ${truth.phraseIndex}, which has only ${phrase.items.length} items`);
      else if (got.item !== label.item) mismatch(`labels ${label.item} as item ${position} of phrase ${truth.phraseIndex}, where the activity has ${got.item}`);
      else
        items.push({
          activityId: result.activityId,
          phraseIndex: truth.phraseIndex,
          position,
          item: label.item,
          kind: kindOf(label.item),
          truth: label.verdict,
          ...(label.heardAs !== undefined ? { said: label.heardAs } : {}),
          verdict: got.verdict,
          ...(got.heard !== undefined ? { heard: got.heard } : {}),
        });
    });
  }
  const total = result.phrases.reduce((n, p) => n + p.items.length, 0);
  return { items, unlabelled: total - items.length };
}
