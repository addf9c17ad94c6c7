/**
 * The two error rates a district or researcher judges a scorer by, measured on labelled items:
 * false rejection (a correctly read item not judged correct/accepted: the child is told they were
 * wrong) and missed error (a substituted or omitted item judged correct/accepted: an error goes
 * unnoticed). Items whose phrase was unscored have no judgement and are counted apart.
 */
import { type ItemVerdict, Verdict } from '../scoring/types';
import type { ItemKind, LabelledItem, LabelVerdict } from './labels';
import { type Rate, rateOf } from './wilson';

/** ok: correct or accepted; error: substituted or omitted; undefined: unscored. */
export function judgementOf(verdict: ItemVerdict['verdict'] | LabelVerdict): 'ok' | 'error' | undefined {
  if (verdict === Verdict.Correct || verdict === Verdict.Accepted) return 'ok';
  if (verdict === Verdict.Substituted || verdict === Verdict.Omitted) return 'error';
  return undefined;
}

/** False rejections and missed errors over a set of labelled items. */
export interface ErrorRates {
  /** Labelled items the scorer judged (unscored ones excluded). */
  readonly items: number;
  /** Of the correctly read items (label correct/accepted), those judged substituted/omitted. */
  readonly falseRejection: Rate;
  /** Of the errors (label substituted/omitted), those judged correct/accepted. */
  readonly missedError: Rate;
}

/** The error rates of `items`. */
export function errorRates(items: readonly LabelledItem[]): ErrorRates {
  let judged = 0;
  let read = 0;
  let rejected = 0;
  let errors = 0;
  let missed = 0;
  for (const it of items) {
    const got = judgementOf(it.verdict);
    if (!got) continue;
    judged++;
    if (judgementOf(it.truth) === 'ok') {
      read++;
      if (got === 'error') rejected++;
    } else {
      errors++;
      if (got === 'ok') missed++;
    }
  }
  return { items: judged, falseRejection: rateOf(rejected, read), missedError: rateOf(missed, errors) };
}

/** Error rates of letter names and of letter sounds. */
export interface RatesByKind {
  readonly name: ErrorRates;
  readonly sound: ErrorRates;
}

/** {@link errorRates} per item kind. */
export function ratesByKind(items: readonly LabelledItem[]): RatesByKind {
  const of = (kind: ItemKind) => errorRates(items.filter((it) => it.kind === kind));
  return { name: of('name'), sound: of('sound') };
}

/** One item's error rates. */
export interface ItemRates extends ErrorRates {
  readonly item: string;
  readonly kind: ItemKind;
}

/** {@link errorRates} per item, in item-name order (`a_letter`, `a_sound`, `b_letter`, …). */
export function ratesByItem(items: readonly LabelledItem[]): ItemRates[] {
  const groups = new Map<string, LabelledItem[]>();
  for (const it of items) groups.set(it.item, [...(groups.get(it.item) ?? []), it]);
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([item, group]) => ({ item, kind: (group[0] as LabelledItem).kind, ...errorRates(group) }));
}

/** What was said for an item and what the scorer made of it, where the two disagree. */
export interface Confusion {
  readonly item: string;
  /** The label's verdict: correct/accepted (said as written), substituted (said `said`), omitted (nothing said). */
  readonly truth: LabelVerdict;
  /** What was said instead, per the label (substitutions only). */
  readonly said?: string;
  /** The scorer's verdict. */
  readonly verdict: ItemVerdict['verdict'];
  /** What the scorer heard (absent when it judged the item omitted). */
  readonly heard?: string;
  readonly count: number;
  /** Whether the disagreement changes the judgement (a false rejection or a missed error), not only what was heard. */
  readonly misjudged: boolean;
}

/** Whether the scorer heard something other than what was said. */
function disagrees(it: LabelledItem): boolean {
  const got = judgementOf(it.verdict);
  if (!got) return false;
  if (judgementOf(it.truth) === 'ok') return got === 'error';
  if (it.truth === 'omitted') return it.verdict !== 'omitted';
  return it.verdict !== 'substituted' || (it.said !== undefined && it.heard !== it.said);
}

/**
 * The confusion list: every (item, what was said) → (verdict, what was heard) where the scorer heard
 * something other than what was said, with counts, most frequent first. A substitution judged a
 * substitution counts only when the element heard differs from the one labelled.
 */
export function confusions(items: readonly LabelledItem[]): Confusion[] {
  const byKey = new Map<string, Confusion>();
  for (const it of items) {
    if (!disagrees(it)) continue;
    const said = it.truth === 'substituted' ? it.said : undefined;
    const key = JSON.stringify([it.item, it.truth, said ?? null, it.verdict, it.heard ?? null]);
    const seen = byKey.get(key);
    byKey.set(key, {
      item: it.item,
      truth: it.truth,
      ...(said !== undefined ? { said } : {}),
      verdict: it.verdict,
      ...(it.heard !== undefined ? { heard: it.heard } : {}),
      count: (seen?.count ?? 0) + 1,
      misjudged: judgementOf(it.truth) !== judgementOf(it.verdict),
    });
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
}

/** How the second look was set for one scoring of the labelled activities. */
export type SecondLookSetting = false | { readonly margin: number };

/** One row of the trade-off table: the error rates with the second look set so. */
export interface TradeOffPoint extends ErrorRates {
  readonly secondLook: SecondLookSetting;
  readonly byKind: RatesByKind;
  /** This is the setting the evaluation was run at. */
  readonly operating: boolean;
}

/** A trade-off point from the items scored with `secondLook`. */
export function tradeOffPoint(secondLook: SecondLookSetting, items: readonly LabelledItem[], operating: boolean): TradeOffPoint {
  return { secondLook, ...errorRates(items), byKind: ratesByKind(items), operating };
}

/**
 * The second-look settings of a trade-off table: off, then each margin ascending (the operating
 * margin added when it is not among them), each once.
 */
export function tradeOffSettings(margins: readonly number[], operating: SecondLookSetting): SecondLookSetting[] {
  const all = new Set(margins);
  if (operating) all.add(operating.margin);
  return [false, ...[...all].sort((a, b) => a - b).map((margin) => ({ margin }))];
}

/** Whether two second-look settings are the same. */
export const sameSetting = (a: SecondLookSetting, b: SecondLookSetting) => (a === false ? b === false : b !== false && a.margin === b.margin);

/** The evaluation of a scorer at one operating point. */
export interface Evaluation {
  readonly overall: ErrorRates;
  readonly byKind: RatesByKind;
  readonly byItem: readonly ItemRates[];
  readonly confusions: readonly Confusion[];
  /** Labelled items left without a judgement because their phrase was unscored. */
  readonly unscored: number;
}

/** Every measure of one operating point. */
export function evaluate(items: readonly LabelledItem[]): Evaluation {
  return {
    overall: errorRates(items),
    byKind: ratesByKind(items),
    byItem: ratesByItem(items),
    confusions: confusions(items),
    unscored: items.filter((it) => !judgementOf(it.verdict)).length,
  };
}
