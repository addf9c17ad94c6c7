import type { PhraseLogits } from '../decode';
import { parseManifest } from './manifest';
import { mapLogits, mapVocabulary, tokenMapIssues } from './tokenMap';

const VOCAB = ['<pad>', '|', 'ə', 'b', 'ʌ', 'eɪ', 'ŋ', 'j', 'dʒ'];
const MAP = { ə: 'ʌ', ʌ: 'ʌ', eɪ: 'a', j: 'y', dʒ: 'j' };
const model = { vocabulary: VOCAB, blank: '<pad>', separator: '|' };

/** Row-wise softmax of `frames × vocab` logits. */
function softmax(logits: PhraseLogits): number[][] {
  return Array.from({ length: logits.frames }, (_, f) => {
    const row = Array.from(logits.data.subarray(f * logits.vocab, (f + 1) * logits.vocab));
    const max = Math.max(...row);
    const exp = row.map((x) => Math.exp(x - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    return exp.map((e) => e / sum);
  });
}

/** Seeded logits over the test vocabulary, some large (log-sum-exp must not overflow). */
function randomLogits(frames: number, scale: number): PhraseLogits {
  let seed = 7;
  const data = Float32Array.from({ length: frames * VOCAB.length }, () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed / 2 ** 32 - 0.5) * scale;
  });
  return { data, frames, vocab: VOCAB.length };
}

describe('mapVocabulary', () => {
  it('renames mapped tokens, keeps the others, and merges tokens of the same name in first-seen order', () => {
    const mapped = mapVocabulary({ vocabulary: VOCAB, tokenMap: MAP });
    expect(mapped.tokens).toEqual(['<pad>', '|', 'ʌ', 'b', 'a', 'ŋ', 'y', 'j']);
    expect(mapped.sources).toEqual([[0], [1], [2, 4], [3], [5], [6], [7], [8]]);
    expect(mapped.passThrough).toBe(false);
  });

  it('takes a list of pairs as the same map', () => {
    expect(mapVocabulary({ vocabulary: VOCAB, tokenMap: Object.entries(MAP) as [string, string][] })).toEqual(mapVocabulary({ vocabulary: VOCAB, tokenMap: MAP }));
  });

  it('merges a token left out of the map with the tokens mapped onto its name', () => {
    expect(mapVocabulary({ vocabulary: VOCAB, tokenMap: { ə: 'ʌ' } }).sources[2]).toEqual([2, 4]);
  });

  it('is the model vocabulary itself without a map, or with renames only', () => {
    expect(mapVocabulary({ vocabulary: VOCAB })).toEqual({ tokens: VOCAB, sources: VOCAB.map((_, i) => [i]), passThrough: true });
    expect(mapVocabulary({ vocabulary: VOCAB, tokenMap: { eɪ: 'a' } })).toMatchObject({ tokens: VOCAB.map((t) => (t === 'eɪ' ? 'a' : t)), passThrough: true });
  });
});

describe('mapLogits', () => {
  const mapped = mapVocabulary({ vocabulary: VOCAB, tokenMap: MAP });

  // Digits: the merged logit is rounded to float32, a relative error of 2^-24 on logits of ±2000.
  it.each([
    ['ordinary', 8, 6],
    ['very large', 4000, 3],
  ])('gives a merged token the sum of its sources’ probabilities (%s logits)', (_, scale, digits) => {
    const logits = randomLogits(6, scale);
    const out = mapLogits(logits, mapped);
    expect(out.frames).toBe(6);
    expect(out.vocab).toBe(mapped.tokens.length);
    const before = softmax(logits);
    const after = softmax(out);
    for (let f = 0; f < 6; f++) {
      mapped.sources.forEach((group, t) => {
        const sum = group.reduce((s, v) => s + (before[f]?.[v] as number), 0);
        expect(after[f]?.[t]).toBeCloseTo(sum, digits);
      });
    }
  });

  it('leaves the logits of unmerged tokens untouched', () => {
    const logits = randomLogits(4, 8);
    const out = mapLogits(logits, mapped);
    for (let f = 0; f < 4; f++) {
      mapped.sources.forEach((group, t) => {
        if (group.length === 1) expect(out.data[f * out.vocab + t]).toBe(logits.data[f * logits.vocab + (group[0] as number)]);
      });
    }
  });

  it('passes logits without merges through as they are', () => {
    const logits = randomLogits(3, 8);
    expect(mapLogits(logits, mapVocabulary({ vocabulary: VOCAB, tokenMap: { eɪ: 'a' } }))).toBe(logits);
  });

  it('refuses logits of another class count', () => {
    expect(() => mapLogits({ data: new Float32Array(10), frames: 2, vocab: 5 }, mapped)).toThrow(/logits have 5 classes/);
  });
});

describe('tokenMapIssues', () => {
  it('accepts a valid map, mapping onto the alphabet, the blank or the separator', () => {
    expect(tokenMapIssues({ ...MAP, '<pad>': '<pad>', ŋ: '|' }, model, ['ʌ', 'a', 'y', 'j', 'b'])).toEqual([]);
  });
});

describe('parseManifest tokenMap', () => {
  const valid = {
    format: 'readscore-model/1',
    name: 'm',
    version: '1',
    sha256: 'f'.repeat(64),
    sampleRate: 16000,
    input: { name: 'x' },
    output: { name: 'y' },
    vocabulary: VOCAB,
    blank: '<pad>',
    separator: '|',
    frameStride: 320,
    normalization: 'zero-mean-unit-variance',
  };

  it('accepts an object or a list of pairs', () => {
    expect(parseManifest({ ...valid, tokenMap: MAP }, 'm.json').tokenMap).toEqual(MAP);
    expect(parseManifest({ ...valid, tokenMap: [['ə', 'ʌ']] }, 'm.json').tokenMap).toEqual([['ə', 'ʌ']]);
  });

  it.each([
    ['a source outside the vocabulary', { ɚ: 'ɝ' }, /tokenMap\.ɚ maps "ɚ", which is not a vocabulary token/],
    ['a target outside the catalog alphabet', { ŋ: 'ng' }, /tokenMap\.ŋ maps "ŋ" to "ng", which is neither a symbol of the catalog alphabet nor the blank or separator/],
    ['a blank mapped elsewhere', { '<pad>': 'ʌ' }, /tokenMap\.<pad> maps the blank "<pad>" to "ʌ": the blank may only map to itself/],
    ['a separator mapped elsewhere', { '|': '<pad>' }, /tokenMap\.\| maps the separator "\|" to "<pad>": the separator may only map to itself/],
    [
      'a source listed twice',
      [
        ['ə', 'ʌ'],
        ['ə', 'a'],
      ],
      /tokenMap\.1 maps "ə" more than once/,
    ],
    ['a pair that is not two tokens', [['ə']], /tokenMap must map model tokens to symbols/],
    ['a target that is not a string', { ə: 3 }, /tokenMap must map model tokens to symbols/],
  ])('rejects %s, naming the field', (_, tokenMap, message) => {
    expect(() => parseManifest({ ...valid, tokenMap }, 'm.json')).toThrow(message);
    expect(() => parseManifest({ ...valid, tokenMap }, 'm.json')).toThrow(/^m\.json: invalid model manifest/);
  });
});
