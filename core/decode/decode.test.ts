import { loadDefaultCatalog } from '../items';
import { collapseFrames, decodePhrase, type PhraseLogits } from './ctc';
import { segmentWord } from './segment';

const catalog = loadDefaultCatalog();
const TOKENS = ['<pad>', '|', ...catalog.alphabet, 'ʔ']; // ʔ: a model token no element uses
const vocabulary = { tokens: TOKENS, blank: '<pad>', separator: '|', frameMs: 20 };

/** Logits whose argmax per frame is the given token (`_` = blank), with a chosen margin. */
function logitsFor(frames: string[], margin = 8): PhraseLogits {
  const vocab = TOKENS.length;
  const data = new Float32Array(frames.length * vocab);
  frames.forEach((t, f) => {
    const v = TOKENS.indexOf(t === '_' ? '<pad>' : t);
    if (v < 0) throw new Error(t);
    data[f * vocab + v] = margin;
  });
  return { data, frames: frames.length, vocab };
}

const elements = (frames: string[]) => decodePhrase(logitsFor(frames), vocabulary, catalog).elements.map((e) => e.element);

describe('collapseFrames', () => {
  it('merges repeats, then drops blanks', () => {
    const best = Int32Array.from([2, 2, 0, 2, 1, 1, 3]);
    expect(collapseFrames(best, ['_', '|', 'b', 'c'], '_').map((r) => [r.token, r.start, r.end])).toEqual([
      ['b', 0, 2],
      ['b', 3, 4],
      ['|', 4, 6],
      ['c', 6, 7],
    ]);
  });
});

describe('decodePhrase', () => {
  it('keeps repeats split by a blank as two elements (b _ b is two b, not one)', () => {
    expect(elements(['b', 'b', '_', 'b'])).toEqual(['b', 'b']);
    expect(elements(['b', 'b', 'b'])).toEqual(['b']);
  });

  it('splits words on the separator and parses each into elements', () => {
    expect(elements(['a', '_', '|', 'b', 'i', '|', '|', 's', 'i', 'i'])).toEqual(['a', 'bi', 'si']);
  });

  it('parses run-together speech into the fewest elements', () => {
    expect(elements(['d', 'ʌ', 'b', 'ʌ', 'l', 'y', 'u'])).toEqual(['dʌbʌlyu']);
    expect(elements(['ɛ', 'k', 's', '|', 'k', 'y', 'u'])).toEqual(['ɛks', 'kyu']);
  });

  it('reports per element its confidence (mean frame max-posterior) and time span in ms', () => {
    const hyp = decodePhrase(logitsFor(['_', 'b', 'i', 'i', '_', '_']), vocabulary, catalog);
    expect(hyp.elements).toHaveLength(1);
    const [bi] = hyp.elements;
    expect(bi).toMatchObject({ element: 'bi', startMs: 20, endMs: 80, word: 0 });
    const p = Math.exp(8) / (Math.exp(8) + TOKENS.length - 1);
    expect(bi?.confidence).toBeCloseTo(p, 6);
  });

  it('lowers the confidence of an element over uncertain frames', () => {
    const sure = decodePhrase(logitsFor(['b', 'i'], 8), vocabulary, catalog).elements[0]?.confidence ?? 0;
    const unsure = decodePhrase(logitsFor(['b', 'i'], 1), vocabulary, catalog).elements[0]?.confidence ?? 1;
    expect(unsure).toBeLessThan(sure);
  });

  it('keeps tokens that fit no element as unparsed, with their time', () => {
    const hyp = decodePhrase(logitsFor(['b', 'i', 'ʔ', '_', '|', 'ʔ', 'a']), vocabulary, catalog);
    expect(hyp.elements.map((e) => e.element)).toEqual(['bi', 'a']);
    expect(hyp.unparsed.map((u) => [u.token, u.startMs, u.endMs, u.word])).toEqual([
      ['ʔ', 40, 60, 0],
      ['ʔ', 100, 120, 1],
    ]);
  });

  it('returns nothing for all-blank logits', () => {
    const hyp = decodePhrase(logitsFor(['_', '_', '_']), vocabulary, catalog);
    expect(hyp.elements).toEqual([]);
    expect(hyp.unparsed).toEqual([]);
    expect(hyp.frameIsBlank.every((b) => b === 1)).toBe(true);
  });

  it('rejects logits whose class count differs from the vocabulary', () => {
    expect(() => decodePhrase({ data: new Float32Array(10), frames: 2, vocab: 5 }, vocabulary, catalog)).toThrow(/5 classes but the vocabulary has 39 tokens/);
  });
});

describe('segmentWord', () => {
  /** A restricted inventory on which greedy longest-match goes wrong. */
  const inventory = (list: string[]) => ({
    elementId: (e: string) => (list.includes(e) ? list.indexOf(e) : undefined),
    maxElementLength: Math.max(...list.map((e) => Array.from(e).length)),
  });

  /** The old system's parser: greedy longest match, no backtracking, unknown tokens skipped. */
  function greedy(tokens: string[], inv: ReturnType<typeof inventory>): string[] {
    const out: string[] = [];
    for (let i = 0; i < tokens.length; ) {
      let taken = 0;
      for (let l = Math.min(inv.maxElementLength, tokens.length - i); l >= 1; l--) {
        const text = tokens.slice(i, i + l).join('');
        if (inv.elementId(text) !== undefined) {
          out.push(text);
          taken = l;
          break;
        }
      }
      i += taken || 1;
    }
    return out;
  }

  it('beats greedy longest-match where greedy loses tokens', () => {
    const inv = inventory(['ɛk', 'ks', 'ɛ']);
    const tokens = ['ɛ', 'k', 's'];
    expect(greedy(tokens, inv)).toEqual(['ɛk']); // greedy: ɛk, then s is lost
    const parse = segmentWord(tokens, inv);
    expect(parse.map((p) => p.element)).toEqual(['ɛ', 'ks']);
  });

  it('prefers the fewest elements among full covers', () => {
    const parse = segmentWord(['k', 'w', 'ʌ'], loadDefaultCatalog());
    expect(parse.map((p) => p.element)).toEqual(['kwʌ']);
  });

  it('breaks ties toward the longer element first, deterministically', () => {
    // ɛn+ʌ and ɛ+nʌ both cover 3 tokens in 2 elements.
    expect(segmentWord(['ɛ', 'n', 'ʌ'], loadDefaultCatalog()).map((p) => p.element)).toEqual(['ɛn', 'ʌ']);
  });

  it('marks a token no element covers as unparsed instead of dropping it', () => {
    const parse = segmentWord(['b', 'ʔ', 'i'], loadDefaultCatalog());
    expect(parse).toEqual([
      { start: 0, end: 1, element: 'b' },
      { start: 1, end: 2, element: undefined },
      { start: 2, end: 3, element: 'i' },
    ]);
  });
});
