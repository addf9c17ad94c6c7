// A copy of shared/data/letter-items.reference.json (the old system's table), kept in the repo so
// the suite runs in any clone.
import reference from '../../test/fixtures/letter-items.reference.json';
import { CatalogError } from '../errors';
import { buildCatalog, type CatalogData, loadDefaultCatalog, PronunciationKind } from './catalog';
import data from './letter-items.v1.json';

const base = data as CatalogData;
const withChange = (change: (d: CatalogData) => void): CatalogData => {
  const copy = structuredClone(base);
  change(copy);
  return copy;
};

describe('loadDefaultCatalog', () => {
  const catalog = loadDefaultCatalog();

  it('has the 52 letter items, a–z by name and sound', () => {
    expect(catalog.items).toHaveLength(52);
    expect(new Set(catalog.items.map((i) => i.letter)).size).toBe(26);
    expect(catalog.items.filter((i) => i.kind === 'sound')).toHaveLength(26);
  });

  it('matches the reference data item for item', () => {
    for (const ref of (reference as { items: { item: string; pronunciations: string[]; accepted: string[] }[] }).items) {
      const item = catalog.item(ref.item);
      expect(item.pronunciations).toEqual(ref.pronunciations);
      expect(item.accepted).toEqual(ref.accepted);
    }
  });

  it('knows every reference element plus the w_letter variant dʌbyu', () => {
    for (const e of (reference as { phoneticElements: string[] }).phoneticElements) expect(catalog.elementId(e)).toBeDefined();
    expect(catalog.elementId('dʌbyu')).toBeDefined();
    expect(catalog.elements).toHaveLength(86);
  });

  it('classifies canonical, accepted and other pronunciations', () => {
    const b = catalog.item('b_letter');
    expect(catalog.kind(b.id, catalog.elementId('bi') as number)).toBe(PronunciationKind.Canonical);
    expect(catalog.kind(b.id, catalog.elementId('b') as number)).toBe(PronunciationKind.Accepted);
    expect(catalog.kind(b.id, catalog.elementId('di') as number)).toBe(PronunciationKind.Other);
  });

  it('throws a CatalogError naming an unknown item', () => {
    expect(() => catalog.item('ch_sound')).toThrow(CatalogError);
    expect(() => catalog.item('ch_sound')).toThrow(/^ch_sound: unknown item/);
  });
});

describe('buildCatalog validation', () => {
  it.each([
    ['a pronunciation that is no known element', (d: CatalogData) => d.items[0]?.accepted.push('ʃi'), /a_letter": pronunciation "ʃi" does not parse into a known element/],
    ['an element outside the alphabet', (d: CatalogData) => d.elements.push('q'), /element "q" is not written in the alphabet/],
    ['a duplicate item', (d: CatalogData) => d.items.push(structuredClone(d.items[0]) as CatalogData['items'][number]), /item "a_letter" is listed twice/],
    ['an item with no canonical pronunciation', (d: CatalogData) => (d.items[1] as { pronunciations: string[] }).pronunciations.splice(0), /a_sound" has no canonical/],
    ['a bad kind', (d: CatalogData) => ((d.items[2] as { kind: string }).kind = 'spelling'), /kind "spelling"/],
  ])('rejects %s', (_, change, message) => {
    expect(() => buildCatalog(withChange(change), 'bad.json')).toThrow(message);
    expect(() => buildCatalog(withChange(change), 'bad.json')).toThrow(/^bad\.json: /);
  });
});
