import type { LabelledItem } from './labels';
import { confusions, errorRates, evaluate, judgementOf, ratesByItem, ratesByKind, sameSetting, tradeOffPoint, tradeOffSettings } from './metrics';
import { wilsonInterval } from './wilson';

let position = 0;
/** A labelled item: what was said (truth, said) and what the scorer made of it (verdict, heard). */
function labelled(item: string, truth: LabelledItem['truth'], verdict: LabelledItem['verdict'], more: { said?: string; heard?: string } = {}): LabelledItem {
  return { activityId: 'A', phraseIndex: 0, position: position++, item, kind: item.endsWith('_sound') ? 'sound' : 'name', truth, verdict, ...more };
}

// 6 correctly read (2 rejected), 4 errors (1 missed), 1 unscored.
const ITEMS = [
  labelled('a_letter', 'correct', 'correct', { heard: 'eɪ' }),
  labelled('a_letter', 'correct', 'substituted', { heard: 'æ' }),
  labelled('b_sound', 'accepted', 'accepted', { heard: 'bə' }),
  labelled('b_sound', 'correct', 'omitted'),
  labelled('c_letter', 'correct', 'correct', { heard: 'si' }),
  labelled('c_letter', 'correct', 'correct', { heard: 'si' }),
  labelled('d_sound', 'substituted', 'correct', { said: 't', heard: 'd' }),
  labelled('d_sound', 'substituted', 'substituted', { said: 't', heard: 't' }),
  labelled('e_letter', 'omitted', 'omitted'),
  labelled('e_letter', 'substituted', 'substituted', { said: 'i', heard: 'a' }),
  labelled('f_letter', 'correct', 'unscored'),
];

describe('judgementOf', () => {
  it('calls correct/accepted ok, substituted/omitted an error, unscored nothing', () => {
    expect(['correct', 'accepted', 'substituted', 'omitted', 'unscored'].map((v) => judgementOf(v as LabelledItem['verdict']))).toEqual(['ok', 'ok', 'error', 'error', undefined]);
  });
});

describe('errorRates', () => {
  it('counts false rejections among correctly read items and missed errors among errors, unscored items apart', () => {
    const rates = errorRates(ITEMS);
    expect(rates.items).toBe(10);
    expect(rates.falseRejection).toEqual({ count: 2, total: 6, rate: 2 / 6, ci95: wilsonInterval(2, 6) });
    expect(rates.missedError).toEqual({ count: 1, total: 4, rate: 0.25, ci95: wilsonInterval(1, 4) });
  });

  it('has no rate where nothing was measured', () => {
    expect(errorRates([])).toEqual({ items: 0, falseRejection: { count: 0, total: 0, rate: null, ci95: null }, missedError: { count: 0, total: 0, rate: null, ci95: null } });
  });
});

describe('ratesByKind and ratesByItem', () => {
  it('splits letter names from letter sounds', () => {
    const { name, sound } = ratesByKind(ITEMS);
    expect([name.falseRejection.count, name.falseRejection.total, name.missedError.count, name.missedError.total]).toEqual([1, 4, 0, 2]);
    expect([sound.falseRejection.count, sound.falseRejection.total, sound.missedError.count, sound.missedError.total]).toEqual([1, 2, 1, 2]);
  });

  it('gives every item its rates, in item order', () => {
    const byItem = ratesByItem([...ITEMS].reverse());
    expect(byItem.map((r) => r.item)).toEqual(['a_letter', 'b_sound', 'c_letter', 'd_sound', 'e_letter', 'f_letter']);
    expect(byItem[0]).toMatchObject({ item: 'a_letter', kind: 'name', falseRejection: { count: 1, total: 2 } });
    expect(byItem[3]).toMatchObject({ item: 'd_sound', kind: 'sound', missedError: { count: 1, total: 2 } });
    expect(byItem[5]).toMatchObject({ item: 'f_letter', items: 0 });
  });
});

describe('confusions', () => {
  it('lists where what was heard is not what was said, most frequent first', () => {
    const list = confusions([...ITEMS, labelled('a_letter', 'correct', 'substituted', { heard: 'æ' })]);
    expect(list).toEqual([
      { item: 'a_letter', truth: 'correct', verdict: 'substituted', heard: 'æ', count: 2, misjudged: true },
      { item: 'b_sound', truth: 'correct', verdict: 'omitted', count: 1, misjudged: true },
      { item: 'd_sound', truth: 'substituted', said: 't', verdict: 'correct', heard: 'd', count: 1, misjudged: true },
      { item: 'e_letter', truth: 'substituted', said: 'i', verdict: 'substituted', heard: 'a', count: 1, misjudged: false },
    ]);
  });

  it('counts an omission heard as something, and a substitution judged omitted', () => {
    expect(confusions([labelled('g_sound', 'omitted', 'substituted', { heard: 'k' }), labelled('h_sound', 'substituted', 'omitted', { said: 'f' })])).toEqual([
      { item: 'g_sound', truth: 'omitted', verdict: 'substituted', heard: 'k', count: 1, misjudged: false },
      { item: 'h_sound', truth: 'substituted', said: 'f', verdict: 'omitted', count: 1, misjudged: false },
    ]);
  });
});

describe('the trade-off table', () => {
  it('runs from the second look off through each margin once, the operating margin included', () => {
    expect(tradeOffSettings([4, 0, 2, 2], { margin: 3 })).toEqual([false, { margin: 0 }, { margin: 2 }, { margin: 3 }, { margin: 4 }]);
    expect(tradeOffSettings([1], false)).toEqual([false, { margin: 1 }]);
  });

  it('compares settings by value', () => {
    expect(sameSetting(false, false)).toBe(true);
    expect(sameSetting({ margin: 2 }, { margin: 2 })).toBe(true);
    expect(sameSetting({ margin: 2 }, false)).toBe(false);
    expect(sameSetting(false, { margin: 0 })).toBe(false);
  });

  it('gives a point its rates overall and per kind', () => {
    const point = tradeOffPoint({ margin: 2 }, ITEMS, true);
    expect(point).toMatchObject({ secondLook: { margin: 2 }, operating: true, falseRejection: { count: 2 }, missedError: { count: 1 } });
    expect(point.byKind.sound.missedError.count).toBe(1);
  });
});

describe('evaluate', () => {
  it('gathers every measure and counts the unscored items', () => {
    const e = evaluate(ITEMS);
    expect(e.overall).toEqual(errorRates(ITEMS));
    expect(e.byKind).toEqual(ratesByKind(ITEMS));
    expect(e.byItem).toHaveLength(6);
    expect(e.confusions).toHaveLength(4);
    expect(e.unscored).toBe(1);
  });
});
