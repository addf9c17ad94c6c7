import { activityResult } from '../../test/support/activityResultFactory';
import { type ActivityLabels, LabelError, labelResult, parseLabels } from './labels';

const FILE = 'acts/one/expected.json';
const kindOf = (item: string) => (item.endsWith('_sound') ? 'sound' : 'name') as 'name' | 'sound';

describe('parseLabels', () => {
  it('reads the expected.json shape of examples/', () => {
    const text = JSON.stringify({
      activityId: 'A1',
      phrases: [
        {
          phraseIndex: 0,
          items: [
            { item: 'a_letter', verdict: 'correct' },
            { item: 't_sound', verdict: 'substituted', heardAs: 'z' },
          ],
          inserted: ['x'],
        },
      ],
    });
    expect(parseLabels(text, FILE)).toEqual({
      activityId: 'A1',
      phrases: [
        {
          phraseIndex: 0,
          items: [
            { item: 'a_letter', verdict: 'correct' },
            { item: 't_sound', verdict: 'substituted', heardAs: 'z' },
          ],
        },
      ],
    });
  });

  it.each([
    ['{"phrases": [', /acts\/one\/expected\.json: malformed JSON/],
    ['[]', /expected\.json: the file is not a JSON object/],
    ['{}', /phrases is missing or not an array/],
    ['{"activityId": 7, "phrases": []}', /activityId is not a string/],
    ['{"phrases": [{"phraseIndex": -1, "items": []}]}', /phrases\[0\]\.phraseIndex is not an integer ≥ 0/],
    ['{"phrases": [{"phraseIndex": 0, "items": []}, {"phraseIndex": 0, "items": []}]}', /phrases\[1\]\.phraseIndex repeats phrase 0/],
    ['{"phrases": [{"phraseIndex": 0}]}', /phrases\[0\]\.items is missing/],
    ['{"phrases": [{"phraseIndex": 0, "items": [{"verdict": "correct"}]}]}', /phrases\[0\]\.items\[0\]\.item is missing/],
    [
      '{"phrases": [{"phraseIndex": 0, "items": [{"item": "a_letter", "verdict": "unscored"}]}]}',
      /items\[0\]\.verdict is "unscored"; expected one of correct, accepted, substituted, omitted/,
    ],
    ['{"phrases": [{"phraseIndex": 0, "items": [{"item": "a_letter", "verdict": "substituted", "heardAs": 3}]}]}', /items\[0\]\.heardAs is not a string/],
  ])('refuses %s naming the file and the field', (text, message) => {
    let error: unknown;
    try {
      parseLabels(text, FILE);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LabelError);
    expect((error as LabelError).code).toBe('malformed-labels');
    expect((error as LabelError).input).toBe(FILE);
    expect((error as Error).message).toMatch(message);
  });
});

describe('labelResult', () => {
  const result = activityResult();
  const labels: ActivityLabels = {
    activityId: result.activityId,
    phrases: [
      {
        phraseIndex: 0,
        items: [
          { item: 'b_sound', verdict: 'correct' },
          { item: 'm_name', verdict: 'substituted', heardAs: 'ɛn' },
          { item: 'd_sound', verdict: 'correct' },
        ],
      },
      { phraseIndex: 1, items: [{ item: 's_sound', verdict: 'omitted' }] },
    ],
  };

  it('pairs each label with the verdict at its phrase and position, and counts items without a label', () => {
    const { items, unlabelled } = labelResult(labels, result, FILE, kindOf);
    expect(items.map((i) => [i.phraseIndex, i.position, i.item, i.kind, i.truth, i.said, i.verdict, i.heard])).toEqual([
      [0, 0, 'b_sound', 'sound', 'correct', undefined, 'correct', 'b'],
      [0, 1, 'm_name', 'name', 'substituted', 'ɛn', 'accepted', 'em'],
      [0, 2, 'd_sound', 'sound', 'correct', undefined, 'substituted', 't'],
      [1, 0, 's_sound', 'sound', 'omitted', undefined, 'unscored', undefined],
    ]);
    expect(unlabelled).toBe(2);
  });

  it.each([
    [{ ...labels, activityId: 'OTHER' }, /expected\.json: labels activity OTHER, but the activity scored is A1B2/],
    [{ phrases: [{ phraseIndex: 7, items: [] }] }, /labels phrase 7, which the activity does not have \(its phrases: 0, 1\)/],
    [
      {
        phrases: [
          {
            phraseIndex: 1,
            items: [
              { item: 's_sound', verdict: 'correct' },
              { item: 'a_name', verdict: 'correct' },
              { item: 'x_letter', verdict: 'correct' },
            ],
          },
        ],
      },
      /labels x_letter as item 2 of phrase 1, which has only 2 items/,
    ],
    [{ phrases: [{ phraseIndex: 0, items: [{ item: 'c_letter', verdict: 'correct' }] }] }, /labels c_letter as item 0 of phrase 0, where the activity has b_sound/],
  ] as [ActivityLabels, RegExp][])('refuses labels the activity does not match, naming the labels file', (bad, message) => {
    expect(() => labelResult(bad, result, FILE, kindOf)).toThrow(LabelError);
    expect(() => labelResult(bad, result, FILE, kindOf)).toThrow(message);
    expect(() => labelResult(bad, result, FILE, kindOf)).toThrow(/^acts\/one\/expected\.json: /);
  });
});
