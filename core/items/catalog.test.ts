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

describe('scoring policies (versioned with the catalog)', () => {
  const catalog = loadDefaultCatalog();
  const answers = (c: ReturnType<typeof loadDefaultCatalog>, item: string) => [c.item(item).pronunciations, c.item(item).accepted];

  it('practice is the catalog as written and the default; assessment drops the letter sound for a name and the name for a sound', () => {
    expect([catalog.policy, catalog.policies]).toEqual(['practice', ['practice', 'assessment']]);
    const strict = catalog.underPolicy('assessment');
    expect(strict.policy).toBe('assessment');
    expect(answers(catalog, 'b_letter')).toEqual([['bi'], ['b']]);
    expect(answers(strict, 'b_letter')).toEqual([['bi'], []]); // the sound of B is not its name
    expect(answers(catalog, 'e_sound')).toEqual([
      ['ɛ', 'i'],
      ['ɪ', 'æ'],
    ]);
    expect(answers(strict, 'e_sound')).toEqual([['ɛ'], ['ɪ', 'æ']]); // the name of E is not its sound
    expect(answers(strict, 'e_letter')).toEqual([['i'], []]); // a name keeps itself
    expect(answers(strict, 'o_sound')[0]).toEqual(['ɑ']);
    expect(answers(strict, 'z_letter')).toEqual([['zi'], []]);
    // the views share items, ids and elements: an activity parsed once is judged under either
    expect(strict.items.map((i) => [i.id, i.name])).toEqual(catalog.items.map((i) => [i.id, i.name]));
    expect(strict.elements).toEqual(catalog.elements);
    expect(strict.kind(strict.item('b_letter').id, strict.elementId('b') as number)).toBe(PronunciationKind.Other);
    expect(catalog.underPolicy('assessment')).toBe(strict);
    expect(strict.underPolicy('practice').item('b_letter').accepted).toEqual(['b']);
  });

  it('an unknown policy is a CatalogError naming the policies there are', () => {
    expect(() => catalog.underPolicy('lenient')).toThrow(CatalogError);
    expect(() => catalog.underPolicy('lenient')).toThrow(/unknown scoring policy "lenient" \(catalog letter-items 1\.1\.0 defines practice, assessment\)/);
  });

  it('per-item overrides accept or reject given answers, and are validated', () => {
    const withOverrides = (items: Record<string, { accept?: string[]; reject?: string[] }>) =>
      buildCatalog({ ...(data as CatalogData), policies: { ...(data as CatalogData).policies, district: { description: 'x', crossKind: 'reject', items } } }, 'test', 'district');
    const c = withOverrides({ a_letter: { reject: ['ɛ'] }, y_sound: { accept: ['i'] } });
    expect(c.item('a_letter').accepted).toEqual([]);
    expect(c.item('y_sound').accepted).toContain('i');
    expect(() => withOverrides({ q_letter: { reject: ['kyu'] } })).toThrow(/item "q_letter" has no canonical pronunciation left under this policy/);
    expect(() => withOverrides({ nope: { reject: [] } })).toThrow(/policy "district" overrides unknown item "nope"/);
    expect(() => withOverrides({ a_letter: { accept: ['qq'] } })).toThrow(/pronunciation "qq" does not parse into a known element/);
  });
});
