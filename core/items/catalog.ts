/**
 * The letter-item catalog: the 52 items, their canonical pronunciations and accepted variants, and
 * the element inventory the decoder parses into. Loaded from a versioned data file and validated.
 */
import { PairKind } from '../../aligner';
import { CatalogError } from '../errors';
import catalogData from './letter-items.v1.json';

/** One expected item, e.g. `b_sound`. */
export interface Item {
  readonly id: number;
  readonly name: string;
  readonly letter: string;
  readonly kind: 'name' | 'sound';
  /** Canonical pronunciations (element strings): any of them is `correct`. */
  readonly pronunciations: readonly string[];
  /** Accepted variants: judged `accepted`. */
  readonly accepted: readonly string[];
}

/**
 * How an element relates to an item: canonical, accepted variant or other. The same concept as
 * the aligner's {@link PairKind}, value for value (the cost table carries these kinds and a
 * diagonal step's op is its pair's kind), so it is that constant under the catalog's name. The
 * aligner is a self-contained package that imports nothing from core, hence this direction.
 */
export const PronunciationKind = PairKind;
export type PronunciationKind = PairKind;

/**
 * How strictly a catalog judges (versioned with the catalog): `practice` takes the catalog as
 * written; `assessment` takes no letter sound for a letter name and no letter name for a letter
 * sound. Policies may also override single items (accept or reject given answers).
 */
export const ScoringPolicyName = { Practice: 'practice', Assessment: 'assessment' } as const;
export type ScoringPolicyName = (typeof ScoringPolicyName)[keyof typeof ScoringPolicyName];

/** A policy as the catalog data file defines it. */
export interface PolicyData {
  description: string;
  /** `accept`: answers of the letter's other item stay; `reject`: they are dropped (see {@link ScoringPolicyName}). */
  crossKind: 'accept' | 'reject';
  /** Per item: answers to accept as variants, answers to reject. */
  items?: Record<string, { accept?: string[]; reject?: string[] }>;
}

/** A validated catalog with id lookups. */
export interface ItemCatalog {
  readonly name: string;
  readonly version: string;
  /** The scoring policy this view of the catalog judges under. */
  readonly policy: string;
  /** The policies the catalog defines. */
  readonly policies: readonly string[];
  /**
   * The same catalog (same items, ids and elements) judged under policy `name`; throws a
   * CatalogError `unknown-policy` for a policy the catalog does not define.
   */
  underPolicy(name: string): ItemCatalog;
  /** Phone symbols, one CTC token each. */
  readonly alphabet: readonly string[];
  /** Element strings; the index is the element id. */
  readonly elements: readonly string[];
  readonly items: readonly Item[];
  /** Longest element, in symbols (bounds the segmentation search). */
  readonly maxElementLength: number;
  elementId(element: string): number | undefined;
  /** The item with this name; throws {@link CatalogError} `unknown-item` for anything else. */
  item(name: string): Item;
  hasItem(name: string): boolean;
  /** Canonical, accepted or other, for an (item id, element id) pair. */
  kind(itemId: number, elementId: number): PronunciationKind;
}

/** The raw shape of a catalog data file. */
export interface CatalogData {
  catalog: string;
  version: string;
  alphabet: string[];
  elements: string[];
  items: { item: string; letter: string; kind: string; pronunciations: string[]; accepted: string[] }[];
  policies?: Record<string, PolicyData>;
  defaultPolicy?: string;
}

/**
 * The item list of `data` under `policy`: with `crossKind: reject`, a sound item loses any answer
 * that is a canonical pronunciation of its letter's name item, and a name item any answer that is
 * a canonical pronunciation of its letter's sound item but not of the name itself; then the
 * policy's per-item overrides apply.
 */
export function itemsUnderPolicy(data: CatalogData, policy: PolicyData, fail: (message: string) => never): CatalogData['items'] {
  const byName = new Map(data.items.map((i) => [i.item, i]));
  return data.items.map((raw) => {
    let pronunciations = [...raw.pronunciations];
    let accepted = [...(raw.accepted ?? [])];
    if (policy.crossKind === 'reject') {
      const name = byName.get(`${raw.letter}_letter`);
      const sound = byName.get(`${raw.letter}_sound`);
      const foreign = new Set(raw.kind === 'sound' ? (name?.pronunciations ?? []) : (sound?.pronunciations ?? []).filter((p) => !(name?.pronunciations ?? []).includes(p)));
      pronunciations = pronunciations.filter((p) => !foreign.has(p));
      accepted = accepted.filter((p) => !foreign.has(p));
    }
    const override = policy.items?.[raw.item];
    if (override) {
      const reject = new Set(override.reject ?? []);
      pronunciations = pronunciations.filter((p) => !reject.has(p));
      accepted = [...accepted.filter((p) => !reject.has(p)), ...(override.accept ?? []).filter((p) => !accepted.includes(p) && !pronunciations.includes(p))];
    }
    if (pronunciations.length === 0) fail(`item "${raw.item}" has no canonical pronunciation left under this policy`);
    return { ...raw, pronunciations, accepted };
  });
}

/** Splits an element string into alphabet symbols; returns undefined when a character is not one. */
function symbolsOf(text: string, alphabet: ReadonlySet<string>): string[] | undefined {
  const symbols = Array.from(text);
  return symbols.every((s) => alphabet.has(s)) ? symbols : undefined;
}

/**
 * Validates catalog data and builds lookups. Every element must be written in the alphabet, every
 * pronunciation must be a known element, item names must be unique.
 */
export function buildCatalog(data: CatalogData, source = 'catalog', policyName?: string): ItemCatalog {
  const fail = (message: string): never => {
    throw new CatalogError('invalid-catalog', source, message);
  };
  if (!data || typeof data !== 'object') fail('not an object');
  if (!Array.isArray(data.alphabet) || data.alphabet.length === 0) fail('alphabet is empty');
  if (!Array.isArray(data.elements) || data.elements.length === 0) fail('element list is empty');
  if (!Array.isArray(data.items) || data.items.length === 0) fail('item list is empty');
  const policies: Record<string, PolicyData> = data.policies ?? { [ScoringPolicyName.Practice]: { description: 'the catalog as written', crossKind: 'accept' } };
  const policy = policyName ?? data.defaultPolicy ?? Object.keys(policies)[0] ?? ScoringPolicyName.Practice;
  const policyData = policies[policy];
  if (!policyData)
    throw new CatalogError('unknown-policy', source, `unknown scoring policy "${policy}" (catalog ${data.catalog} ${data.version} defines ${Object.keys(policies).join(', ')})`);
  if (policyData.crossKind !== 'accept' && policyData.crossKind !== 'reject') fail(`policy "${policy}" has crossKind "${policyData.crossKind}"`);
  for (const item of Object.keys(policyData.items ?? {})) if (!data.items?.some((i) => i.item === item)) fail(`policy "${policy}" overrides unknown item "${item}"`);
  const alphabet = new Set(data.alphabet);
  for (const symbol of data.alphabet) {
    if (Array.from(symbol).length !== 1) fail(`alphabet symbol "${symbol}" is not a single character`);
  }
  const elementIds = new Map<string, number>();
  let maxElementLength = 0;
  data.elements.forEach((element, id) => {
    const symbols = symbolsOf(element, alphabet);
    if (!symbols || symbols.length === 0) fail(`element "${element}" is not written in the alphabet`);
    if (elementIds.has(element)) fail(`element "${element}" is listed twice`);
    elementIds.set(element, id);
    maxElementLength = Math.max(maxElementLength, symbols?.length ?? 0);
  });
  const items: Item[] = [];
  const itemIds = new Map<string, number>();
  const judged = Array.isArray(data.items) ? itemsUnderPolicy(data, policyData, fail) : [];
  for (const raw of judged) {
    if (itemIds.has(raw.item)) fail(`item "${raw.item}" is listed twice`);
    if (raw.kind !== 'name' && raw.kind !== 'sound') fail(`item "${raw.item}" has kind "${raw.kind}"`);
    if (!Array.isArray(raw.pronunciations) || raw.pronunciations.length === 0) {
      fail(`item "${raw.item}" has no canonical pronunciation`);
    }
    for (const p of [...raw.pronunciations, ...(raw.accepted ?? [])]) {
      if (!elementIds.has(p)) {
        fail(`item "${raw.item}": pronunciation "${p}" does not parse into a known element`);
      }
    }
    itemIds.set(raw.item, items.length);
    items.push({
      id: items.length,
      name: raw.item,
      letter: raw.letter,
      kind: raw.kind as 'name' | 'sound',
      pronunciations: [...raw.pronunciations],
      accepted: [...(raw.accepted ?? [])],
    });
  }
  const kinds = new Uint8Array(items.length * data.elements.length).fill(PronunciationKind.Other);
  for (const item of items) {
    const row = item.id * data.elements.length;
    // Canonical wins when a string is listed as both.
    for (const p of item.accepted) kinds[row + (elementIds.get(p) as number)] = PronunciationKind.Accepted;
    for (const p of item.pronunciations) kinds[row + (elementIds.get(p) as number)] = PronunciationKind.Canonical;
  }
  const name = data.catalog;
  const version = data.version;
  const views = new Map<string, ItemCatalog>();
  const catalog: ItemCatalog = {
    name,
    version,
    policy,
    policies: Object.keys(policies),
    underPolicy(other) {
      if (other === policy) return catalog;
      let view = views.get(other);
      if (!view) {
        view = buildCatalog(data, source, other);
        views.set(other, view);
      }
      return view;
    },
    alphabet: [...data.alphabet],
    elements: [...data.elements],
    items,
    maxElementLength,
    elementId: (element) => elementIds.get(element),
    hasItem: (itemName) => itemIds.has(itemName),
    item(itemName) {
      const id = itemIds.get(itemName);
      if (id === undefined) {
        throw new CatalogError('unknown-item', itemName, `unknown item (catalog ${name} ${version} has ${items.length} items, e.g. a_letter, b_sound)`);
      }
      return items[id] as Item;
    },
    kind: (itemId, elementId) => kinds[itemId * data.elements.length + elementId] as PronunciationKind,
  };
  return catalog;
}

/** The bundled catalog (letter-items v1), validated on each call: the composition root builds it once. */
export function loadDefaultCatalog(): ItemCatalog {
  return buildCatalog(catalogData as CatalogData, 'core/items/letter-items.v1.json');
}
