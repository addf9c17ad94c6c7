import fc from 'fast-check';
import { createAligner } from '../../aligner';
import type { Hypothesis, HypothesisElement } from '../decode';
import { loadDefaultCatalog } from '../items';
import { buildCostTable, DEFAULT_COST_WEIGHTS, phoneticDistance } from './costs';
import { judgePhrases, type PhraseToJudge } from './phrase';

const catalog = loadDefaultCatalog();
const aligner = createAligner(buildCostTable(catalog));

/** A hypothesis of elements 300 ms apart, starting at `startMs`. */
function hyp(elements: string[], startMs = 0, frames = 400): Hypothesis {
  const els: HypothesisElement[] = elements.map((element, i) => {
    const id = catalog.elementId(element);
    if (id === undefined) throw new Error(`not an element: ${element}`);
    return { element, elementId: id, confidence: 0.9, startMs: startMs + i * 300, endMs: startMs + i * 300 + 200, word: i };
  });
  return { elements: els, unparsed: [], frames, frameMs: 20, framePosterior: new Float32Array(frames).fill(0.8), frameIsBlank: new Uint8Array(frames).fill(1) };
}

function phrase(items: string[], heard: string[], extra: Partial<PhraseToJudge> = {}): PhraseToJudge {
  return { phraseIndex: 0, items: items.map((i) => catalog.item(i)), hypothesis: hyp(heard), leadMs: 0, ownMs: 8000, ...extra };
}

const judge = (p: PhraseToJudge) => judgePhrases([p], aligner, catalog.elements.length)[0];
const verdicts = (p: PhraseToJudge) => judge(p)?.items.map((v) => [v.item, v.verdict, v.heard ?? null]);

describe('judgePhrases', () => {
  it('keeps later verdicts right after an element inserted mid-phrase (the old truncation bug)', () => {
    const result = judge(phrase(['a_letter', 'b_letter', 'c_letter'], ['a', 'x', 'bi', 'si']));
    expect(result?.items.map((v) => [v.item, v.verdict, v.heard])).toEqual([
      ['a_letter', 'correct', 'a'],
      ['b_letter', 'correct', 'bi'],
      ['c_letter', 'correct', 'si'],
    ]);
    expect(result?.inserted).toEqual([{ element: 'x', position: 1, confidence: 0.9, startMs: 300, endMs: 500 }]);
    expect(result?.totals).toMatchObject({ items: 3, correct: 3, errors: 0, inserted: 1, accuracy: 1 });
  });

  it('reports accepted variants, substitutions with what was heard, and omissions', () => {
    expect(verdicts(phrase(['b_letter', 'd_letter', 'f_sound', 'm_letter'], ['b', 'bi', 'fʌ']))).toEqual([
      ['b_letter', 'accepted', 'b'],
      ['d_letter', 'substituted', 'bi'],
      ['f_sound', 'correct', 'fʌ'],
      ['m_letter', 'omitted', null],
    ]);
  });

  it('lets an element answer the item it is canonical for before one it is only a variant of', () => {
    expect(verdicts(phrase(['m_letter', 'n_letter'], ['ɛm']))).toEqual([
      ['m_letter', 'correct', 'ɛm'],
      ['n_letter', 'omitted', null],
    ]);
  });

  it('counts totals per phrase', () => {
    expect(judge(phrase(['b_letter', 'd_letter', 'f_sound', 'm_letter'], ['b', 'bi', 'fʌ']))?.totals).toEqual({
      items: 4,
      correct: 2,
      accepted: 1,
      errors: 2,
      substituted: 1,
      omitted: 1,
      inserted: 0,
      accuracy: 0.5,
    });
  });

  it('treats padding speech as context, not insertions, and credits a late answer heard there', () => {
    // 1000 ms of leading padding, then 400 ms of own audio; elements (by midpoint) at 800, 1100, 1400, 1700 ms.
    const p: PhraseToJudge = {
      phraseIndex: 3,
      items: [catalog.item('a_letter'), catalog.item('b_letter')],
      hypothesis: hyp(['z', 'a', 'bi', 'ɛm'], 700),
      leadMs: 1000,
      ownMs: 400,
    };
    const r = judge(p);
    expect(r?.items.map((v) => [v.verdict, v.heard, v.inPadding ?? false])).toEqual([
      ['correct', 'a', false],
      ['correct', 'bi', true],
    ]);
    expect(r?.inserted).toEqual([]);
    expect(r?.context).toEqual(['z', 'ɛm']);
  });

  it('never counts padding speech as a wrong answer: an unanswered item is omitted, the speech is context', () => {
    // Leading padding holds the previous phrase's "mʌ"; own audio holds "æ" for a_sound; y_sound is unanswered.
    const p: PhraseToJudge = {
      phraseIndex: 2,
      items: [catalog.item('y_sound'), catalog.item('a_sound')],
      hypothesis: hyp(['mʌ', 'æ'], 700),
      leadMs: 1000,
      ownMs: 3000,
    };
    const r = judge(p);
    expect(r?.items.map((v) => [v.item, v.verdict, v.heard ?? null])).toEqual([
      ['y_sound', 'omitted', null],
      ['a_sound', 'correct', 'æ'],
    ]);
    expect(r?.context).toEqual(['mʌ']);
  });

  it('gives an omission the model’s confidence in silence over the gap', () => {
    const p = phrase(['a_letter'], []);
    const r = judge(p);
    expect(r?.items[0]).toMatchObject({ verdict: 'omitted', confidence: expect.closeTo(0.8, 5) });
  });

  it('maps every item to exactly one verdict on any hypothesis (property)', () => {
    const itemNames = catalog.items.map((i) => i.name);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...itemNames), { minLength: 1, maxLength: 10 }), fc.array(fc.constantFrom(...catalog.elements), { maxLength: 14 }), (items, heard) => {
        const r = judge(phrase(items, heard));
        expect(r?.items.map((v) => v.item)).toEqual(items);
        expect(r?.items.map((v) => v.position)).toEqual(items.map((_, i) => i));
        // Every heard element is used once: as an answer or as an insertion.
        const used = (r?.items.filter((v) => v.heard !== undefined).length ?? 0) + (r?.inserted.length ?? 0);
        expect(used).toBe(heard.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('phoneticDistance', () => {
  it('is 0 for equal strings and smaller for near misses than for unrelated ones', () => {
    expect(phoneticDistance('bi', 'bi')).toBe(0);
    expect(phoneticDistance('bi', 'di')).toBeLessThan(phoneticDistance('bi', 'ɛks'));
    expect(phoneticDistance('bi', 'ɛks')).toBeLessThanOrEqual(1);
  });
});

describe('padding never steals an answer', () => {
  /** A phrase whose last `trail` elements lie in the next phrase's padding. */
  const withTrail = (items: string[], heard: string[], trail: number) => phrase(items, heard, { ownMs: (heard.length - trail) * 300 - 50 });

  it("an item's own answer wins over the same answer in the next phrase's audio", () => {
    // "B" skipped, "D" said; the next phrase starts with "D". Before: b_letter substituted (own
    // "di", a near miss) and d_letter credited from the padding.
    expect(verdicts(withTrail(['b_letter', 'd_letter'], ['di', 'di'], 1))).toEqual([
      ['b_letter', 'omitted', null],
      ['d_letter', 'correct', 'di'],
    ]);
    expect(judge(withTrail(['b_letter', 'd_letter'], ['di', 'di'], 1))?.context).toEqual(['di']);
  });

  it('nor is an own answer charged to another item as an accepted variant', () => {
    // ɛn is an accepted variant of m_letter; the own ɛn answers n_letter, the padding's is context
    expect(verdicts(withTrail(['m_letter', 'n_letter'], ['ɛn', 'ɛn'], 1))).toEqual([
      ['m_letter', 'omitted', null],
      ['n_letter', 'correct', 'ɛn'],
    ]);
  });

  it('a late answer heard only in the padding is still credited', () => {
    const result = judge(withTrail(['a_letter', 'b_letter'], ['a', 'bi'], 1));
    expect(result?.items.map((v) => [v.item, v.verdict, v.inPadding ?? false])).toEqual([
      ['a_letter', 'correct', false],
      ['b_letter', 'correct', true],
    ]);
  });

  it('the padding cost is checked against the weights it must sit between', () => {
    expect(() => buildCostTable(catalog, { ...DEFAULT_COST_WEIGHTS, paddingAnswer: 0.5 })).toThrow(
      /paddingAnswer must lie between delete − acceptedVariant \(0\.99\) and delete \(1\), got 0\.5/,
    );
  });
});

describe('buildCostTable', () => {
  it('costs 0 for canonical answers, next to nothing for variants, more for near misses, 1 at most', () => {
    const table = buildCostTable(catalog);
    const cost = (item: string, element: string) => table.sub[catalog.item(item).id * table.elements + (catalog.elementId(element) as number)];
    expect(cost('b_letter', 'bi')).toBe(0);
    expect(cost('b_letter', 'b')).toBe(0.01);
    expect(cost('b_letter', 'di')).toBeGreaterThan(0.5);
    expect(cost('b_letter', 'di')).toBeLessThan(cost('b_letter', 'ɛks') as number);
    expect(cost('b_letter', 'ɛks')).toBeLessThanOrEqual(1);
  });
});
