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

/** A validated catalog with id lookups. */
export interface ItemCatalog {
  readonly name: string;
  readonly version: string;
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
export function buildCatalog(data: CatalogData, source = 'catalog'): ItemCatalog {
  const fail = (message: string): never => {
    throw new CatalogError('invalid-catalog', source, message);
  };
  if (!data || typeof data !== 'object') fail('not an object');
  if (!Array.isArray(data.alphabet) || data.alphabet.length === 0) fail('alphabet is empty');
  if (!Array.isArray(data.elements) || data.elements.length === 0) fail('element list is empty');
  if (!Array.isArray(data.items) || data.items.length === 0) fail('item list is empty');
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
  for (const raw of data.items) {
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
  return {
    name,
    version,
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
}

/** The bundled catalog (letter-items v1), validated on each call: the composition root builds it once. */
export function loadDefaultCatalog(): ItemCatalog {
  return buildCatalog(catalogData as CatalogData, 'core/items/letter-items.v1.json');
}
