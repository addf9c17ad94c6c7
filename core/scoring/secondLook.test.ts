import { createAligner } from '../../aligner';
import { ctcLogLikelihood, decodePhrase, type FrameLogProbs } from '../decode';
import { loadDefaultCatalog } from '../items';
import { buildCostTable } from './costs';
import { judgePhrases, type PhraseToJudge } from './phrase';
import { DEFAULT_SECOND_LOOK_MARGIN, elementTokens, lookAgain, scoreWindow, secondLookConfig } from './secondLook';

const catalog = loadDefaultCatalog();
const aligner = createAligner(buildCostTable(catalog));
const TOKENS = ['<pad>', '|', ...catalog.alphabet];
const vocabulary = { tokens: TOKENS, blank: '<pad>', separator: '|', frameMs: 20 };
const V = TOKENS.length;

/** Log-probabilities from rows of [token, probability] (the rest spread over the other tokens). */
function framesOf(rows: [string, number][][]): FrameLogProbs {
  const data = new Float32Array(rows.length * V);
  rows.forEach((row, f) => {
    const given = row.reduce((s, [, p]) => s + p, 0);
    const rest = (1 - given) / (V - row.length);
    for (let v = 0; v < V; v++) data[f * V + v] = Math.log(rest);
    for (const [t, p] of row) data[f * V + TOKENS.indexOf(t)] = Math.log(p);
  });
  return { data, vocab: V, blank: 0, separator: 1 };
}

/** Logits (log-probabilities are valid logits) of a phrase built from frame rows. */
const logitsOf = (rows: [string, number][][]) => ({ data: framesOf(rows).data, frames: rows.length, vocab: V });

const blank = (n: number): [string, number][][] => Array.from({ length: n }, () => [['<pad>', 0.97]]);
const say = (phones: string, p = 0.9, each = 3): [string, number][][] => Array.from(phones).flatMap((ph) => Array.from({ length: each }, () => [[ph, p] as [string, number]]));

describe('second look', () => {
  const config = secondLookConfig(catalog, TOKENS);
  const phraseOf = (items: string[], rows: [string, number][][]): PhraseToJudge => ({
    phraseIndex: 0,
    items: items.map((i) => catalog.item(i)),
    hypothesis: decodePhrase(logitsOf(rows), vocabulary, catalog),
    leadMs: 0,
    ownMs: rows.length * 20,
  });
  const judgeBoth = (p: PhraseToJudge, margin = DEFAULT_SECOND_LOOK_MARGIN) => ({
    greedy: judgePhrases([p], aligner, catalog.elements.length)[0]?.items,
    second: judgePhrases([p], aligner, catalog.elements.length, secondLookConfig(catalog, TOKENS, { margin }))[0]?.items,
  });

  const sep: [string, number][][] = [[['|', 0.9]]];
  /** Greedy and second-look judgements of one phrase, with the elements greedy decoding heard. */
  const judged = (items: string[], rows: [string, number][][]) => {
    const p = phraseOf(items, rows);
    const [greedy, second] = [undefined, config].map((look) => judgePhrases([p], aligner, catalog.elements.length, look)[0]);
    return { pieces: p.hypothesis.elements.map((e) => e.element), greedy, second };
  };

  it('finds a faint consonant that greedy decoding lost (omitted → correct)', () => {
    // "p": three frames where p is the likeliest non-blank but blank still wins each frame.
    const rows = [...blank(10), ...say('p', 0.4), ...blank(10)];
    for (const r of rows.slice(10, 13)) r.push(['<pad>', 0.5]);
    const { greedy, second } = judgeBoth(phraseOf(['p_sound'], rows));
    expect(greedy?.[0]).toMatchObject({ verdict: 'omitted' });
    expect(second?.[0]).toMatchObject({ verdict: 'correct', heard: 'p', secondLook: { from: 'omitted' } });
    // Confidence: the expected reading's posterior against the best alternative, prior odds e^margin.
    const v = second?.[0] as { startMs: number; endMs: number; confidence: number };
    const p = phraseOf(['p_sound'], rows);
    const look = lookAgain(p.hypothesis.logProbs as FrameLogProbs, { fromFrame: v.startMs / 20, toFrame: v.endMs / 20 }, catalog.item('p_sound'), catalog, config.spelled);
    const odds = (look?.expectedLogLik as number) - (look?.otherLogLik as number) + DEFAULT_SECOND_LOOK_MARGIN;
    expect(v.confidence).toBeCloseTo(1 / (1 + Math.exp(-odds)), 6);
  });

  it('keeps a skipped item omitted when its window is silence', () => {
    const rows = [...blank(5), ...say('bi'), ...blank(30), ...say('si'), ...blank(5)];
    const { second } = judgeBoth(phraseOf(['b_letter', 'm_letter', 'c_letter'], rows));
    expect(second?.map((v) => [v.item, v.verdict, v.secondLook ?? null])).toEqual([
      ['b_letter', 'correct', null],
      ['m_letter', 'omitted', null],
      ['c_letter', 'correct', null],
    ]);
  });

  it('never accepts on no evidence: a model with no opinion (uniform output) leaves the omission', () => {
    const rows: [string, number][][] = Array.from({ length: 40 }, () => []); // every token 1/V
    const { second } = judgeBoth(phraseOf(['a_letter'], rows), 10);
    expect(second?.[0]).toMatchObject({ verdict: 'omitted' });
    expect(() => secondLookConfig(catalog, TOKENS, { minEvidence: 1 })).toThrow(/evidence floor must be in \[0, 1\)/);
  });

  it('keeps a clear substitution (another letter said plainly)', () => {
    const rows = [...blank(5), ...say('ɛm', 0.95), ...blank(5)];
    const { second } = judgeBoth(phraseOf(['d_letter'], rows));
    expect(second?.[0]).toMatchObject({ verdict: 'substituted', heard: 'ɛm' });
    expect(second?.[0]?.secondLook).toBeUndefined();
  });

  it('revises a substitution when the expected element explains the window better than the greedy one', () => {
    // p narrowly wins two frames, b the third (where blank wins): the best single path is "pʌ",
    // but "bʌ" carries more probability over all paths.
    const rows: [string, number][][] = [
      ...blank(5),
      [
        ['p', 0.34],
        ['b', 0.33],
        ['<pad>', 0.3],
      ],
      [
        ['p', 0.34],
        ['b', 0.33],
        ['<pad>', 0.3],
      ],
      [
        ['b', 0.34],
        ['p', 0.2],
        ['<pad>', 0.43],
      ],
      ...say('ʌ', 0.9),
      ...blank(5),
    ];
    const p = phraseOf(['b_sound'], rows);
    expect(p.hypothesis.elements.map((e) => e.element)).toEqual(['pʌ']);
    const { greedy, second } = judgeBoth(p, 0); // no benefit of the doubt: plain maximum likelihood
    expect(greedy?.[0]).toMatchObject({ verdict: 'substituted', heard: 'pʌ' });
    expect(second?.[0]).toMatchObject({ verdict: 'correct', heard: 'bʌ', secondLook: { from: 'substituted', greedy: 'pʌ' } });
  });

  it('scores an expected reading against every other element and silence', () => {
    const lp = framesOf([...blank(3), ...say('si'), ...blank(3)]);
    const look = lookAgain(lp, { fromFrame: 0, toFrame: 12 }, catalog.item('c_letter'), catalog, config.spelled);
    expect(look).toMatchObject({ element: 'si', canonical: true });
    expect(look?.expectedLogLik).toBeGreaterThan(look?.otherLogLik as number);
    const wrong = lookAgain(lp, { fromFrame: 0, toFrame: 12 }, catalog.item('b_letter'), catalog, config.spelled);
    expect(wrong?.other).toBe('si');
    expect(wrong?.otherLogLik).toBeGreaterThan((wrong?.expectedLogLik as number) + 5);
  });

  it('scores every element of a window at once exactly as one by one (NaN where the vocabulary cannot spell it)', () => {
    // A vocabulary without ʌ: the elements that need it cannot be scored.
    const tokens = TOKENS.filter((t) => t !== 'ʌ');
    const spelled = elementTokens(catalog, tokens);
    const rows = [...blank(3), ...say('bi', 0.6), ...blank(2), ...say('ɛs', 0.5), ...blank(3)];
    const data = new Float32Array(rows.length * tokens.length);
    const full = framesOf(rows);
    // The same frames over the smaller vocabulary (not renormalised: the likelihoods need not sum to 1).
    for (let f = 0; f < rows.length; f++) {
      tokens.forEach((t, v) => {
        data[f * tokens.length + v] = full.data[f * V + TOKENS.indexOf(t)] as number;
      });
    }
    const lp = { data, vocab: tokens.length, blank: 0, separator: 1 };
    for (const [fromFrame, toFrame] of [
      [0, rows.length],
      [2, 9],
      [5, 6],
      [7, 7],
    ] as const) {
      const scores = scoreWindow(lp, { fromFrame, toFrame }, spelled);
      catalog.elements.forEach((element, id) => {
        const labels = spelled.tokens[id];
        if (element.includes('ʌ')) expect(labels).toBeUndefined();
        const one = labels ? ctcLogLikelihood(lp, labels, fromFrame, toFrame) : Number.NaN;
        expect(Object.is(scores.elements[id], one)).toBe(true);
      });
      expect(scores.silence).toBe(ctcLogLikelihood(lp, [], fromFrame, toFrame));
    }
  });

  it('reaches back to a faint opening consonant 120 ms before the vowel (G decoded as a bare i), and only to a real one', () => {
    const faintJ: [string, number][][] = Array.from({ length: 3 }, () => [
      ['j', 0.35],
      ['<pad>', 0.55],
    ]);
    const withOnset = [...blank(5), ...faintJ, ...blank(6), ...say('i'), ...blank(5)];
    const { greedy, second } = judgeBoth(phraseOf(['g_letter'], withOnset));
    expect(greedy?.[0]).toMatchObject({ verdict: 'substituted', heard: 'i' });
    expect(second?.[0]).toMatchObject({ verdict: 'correct', heard: 'ji', secondLook: { from: 'substituted', greedy: 'i' } });
    // Without the onset there is nothing for "ji" to stand on: the bare vowel stays a substitution.
    const bare = judgeBoth(phraseOf(['g_letter'], [...blank(14), ...say('i'), ...blank(5)]));
    expect(bare.second?.[0]).toMatchObject({ verdict: 'substituted', heard: 'i' });
  });

  describe('an answer in pieces', () => {
    it('credits W said as one word that is no catalog element (an extra vowel): the pieces are its answer, not insertions', () => {
      // "dʌbʌlʌyu" parses as pieces (no element has the extra ʌ); the alignment gives W one piece.
      const { pieces, greedy, second } = judged(['w_letter'], [...blank(5), ...say('dʌbʌlʌyu'), ...blank(5)]);
      expect(pieces.length).toBeGreaterThan(1);
      expect(greedy?.items[0]).toMatchObject({ verdict: 'substituted' });
      expect(greedy?.inserted.length).toBe(pieces.length - 1);
      expect(second?.items[0]).toMatchObject({ verdict: 'correct', heard: 'dʌbʌlyu', secondLook: { from: 'substituted', greedy: pieces.join(' ') } });
      expect(second?.inserted).toEqual([]);
      expect(second?.totals).toMatchObject({ correct: 1, inserted: 0 });
    });

    it('joins pieces across a short pause (100 ms) but not across a long one (500 ms)', () => {
      const q = (pauseFrames: number) => judged(['q_letter'], [...blank(5), ...say('k'), ...blank(pauseFrames / 2), ...sep, ...blank(pauseFrames / 2), ...say('yu'), ...blank(5)]);
      const short = q(4);
      expect(short.pieces).toEqual(['k', 'yu']);
      expect(short.second?.items[0]).toMatchObject({ verdict: 'correct', heard: 'kyu', secondLook: { greedy: 'k yu' } });
      expect(short.second?.inserted).toEqual([]);
      const long = q(24);
      expect(long.pieces).toEqual(['k', 'yu']);
      expect(long.second?.items[0]).toMatchObject({ verdict: 'substituted' });
      expect(long.second?.inserted).toHaveLength(1);
    });

    it('takes the fewest pieces that make the answer: an unrelated piece before them stays an insertion', () => {
      // "ɛm | k | yu", one item Q: "ɛm k yu" is no reading of Q, "k yu" is.
      const rows = [...blank(5), ...say('ɛm'), ...blank(2), ...sep, ...blank(2), ...say('k'), ...blank(2), ...sep, ...blank(2), ...say('yu'), ...blank(5)];
      const { pieces, second } = judged(['q_letter'], rows);
      expect(pieces).toEqual(['ɛm', 'k', 'yu']);
      expect(second?.items[0]).toMatchObject({ verdict: 'correct', heard: 'kyu', secondLook: { greedy: 'k yu' } });
      expect(second?.inserted.map((e) => e.element)).toEqual(['ɛm']);
    });

    it('leaves a wrong answer in pieces wrong, its extra piece still an insertion', () => {
      const { pieces, second } = judged(['k_letter'], [...blank(5), ...say('ɛs'), ...sep, ...say('ti'), ...blank(5)]);
      expect(pieces).toEqual(['ɛs', 'ti']);
      expect(second?.items[0]).toMatchObject({ verdict: 'substituted' });
      expect(second?.items[0]?.secondLook).toBeUndefined();
      expect(second?.inserted).toHaveLength(1);
    });

    it('takes a piece from a neighbour judged wrong, which keeps the piece before it: "ɛs | k | yu" for B, Q is B heard ɛs, Q said', () => {
      const { pieces, greedy, second } = judged(
        ['b_letter', 'q_letter'],
        [...blank(5), ...say('ɛs'), ...blank(2), ...sep, ...blank(2), ...say('k'), ...blank(2), ...sep, ...blank(2), ...say('yu'), ...blank(5)],
      );
      expect(pieces).toEqual(['ɛs', 'k', 'yu']);
      expect(greedy?.items.map((v) => [v.item, v.verdict, v.heard])).toEqual([
        ['b_letter', 'substituted', 'k'],
        ['q_letter', 'substituted', 'yu'],
      ]);
      expect(greedy?.inserted.map((e) => e.element)).toEqual(['ɛs']);
      expect(second?.items.map((v) => [v.item, v.verdict, v.heard])).toEqual([
        ['b_letter', 'substituted', 'ɛs'],
        ['q_letter', 'correct', 'kyu'],
      ]);
      expect(second?.items[1]?.secondLook).toEqual({ from: 'substituted', greedy: 'k yu' });
      expect(second?.inserted).toEqual([]);
    });

    it('keeps a one-to-one reading of two wrong answers: "k | yu" for B, Q stays B heard k, Q heard yu', () => {
      const { second } = judged(['b_letter', 'q_letter'], [...blank(5), ...say('k'), ...blank(2), ...sep, ...blank(2), ...say('yu'), ...blank(5)]);
      expect(second?.items.map((v) => [v.item, v.verdict, v.heard])).toEqual([
        ['b_letter', 'substituted', 'k'],
        ['q_letter', 'substituted', 'yu'],
      ]);
    });

    it('never takes a piece from a neighbour judged correct: "k | yu" after the sound of K keeps k for it', () => {
      const { second } = judged(['k_sound', 'q_letter'], [...blank(5), ...say('k'), ...blank(2), ...sep, ...blank(2), ...say('yu'), ...blank(5)]);
      expect(second?.items.map((v) => [v.item, v.verdict, v.heard])).toEqual([
        ['k_sound', 'correct', 'k'],
        ['q_letter', 'substituted', 'yu'],
      ]);
    });

    it('never takes a piece from the padding', () => {
      // The same "k | yu", but "k" is the previous phrase's audio (lead padding): context, not a piece.
      const rows = [...blank(5), ...say('k'), ...blank(2), ...sep, ...blank(2), ...say('yu'), ...blank(5)];
      const p = { ...phraseOf(['q_letter'], rows), leadMs: 9 * 20, ownMs: (rows.length - 9) * 20 };
      const second = judgePhrases([p], aligner, catalog.elements.length, config)[0];
      expect(second?.context).toEqual(['k']);
      expect(second?.items[0]).toMatchObject({ verdict: 'substituted', heard: 'yu' });
    });
  });

  describe('a letter name said for its sound, in pieces', () => {
    it('flags "ɛm" for the sound of M when greedy decoding heard the vowel apart (ɛ | m): substituted, the vowel no insertion', () => {
      const { pieces, greedy, second } = judged(['m_sound'], [...blank(5), ...say('ɛ'), ...sep, ...say('m'), ...blank(5)]);
      expect(pieces).toEqual(['ɛ', 'm']);
      expect(greedy?.items[0]).toMatchObject({ verdict: 'correct', heard: 'm' });
      expect(greedy?.inserted.map((e) => e.element)).toEqual(['ɛ']);
      expect(second?.items[0]).toMatchObject({ verdict: 'substituted', heard: 'ɛm', secondLook: { from: 'correct', greedy: 'ɛ m' } });
      expect(second?.items[0]?.confidence).toBeGreaterThan(0.5);
      expect(second?.inserted).toEqual([]);
      expect(second?.totals).toMatchObject({ correct: 0, substituted: 1, inserted: 0 });
    });

    it('checks a sound the second look made correct too: "pi" heard as a b-or-p, then i, is the name', () => {
      const bOrP: [string, number][][] = Array.from({ length: 3 }, () => [
        ['b', 0.5],
        ['p', 0.4],
      ]);
      const { pieces, greedy, second } = judged(['p_sound'], [...blank(5), ...bOrP, ...sep, ...say('i'), ...blank(5)]);
      expect(pieces).toEqual(['b', 'i']);
      expect(greedy?.items[0]).toMatchObject({ verdict: 'substituted', heard: 'b' });
      expect(second?.items[0]).toMatchObject({ verdict: 'substituted', heard: 'pi', secondLook: { from: 'substituted', greedy: 'b i' } });
      expect(second?.inserted).toEqual([]);
    });

    it('keeps a sound said with its schwa correct (m | ʌ is "mʌ", a reading of the sound, not the name)', () => {
      const { pieces, second } = judged(['m_sound'], [...blank(5), ...say('m'), ...sep, ...say('ʌ'), ...blank(5)]);
      expect(pieces).toEqual(['m', 'ʌ']);
      expect(second?.items[0]).toMatchObject({ verdict: 'correct', heard: 'm' });
      expect(second?.items[0]?.secondLook).toBeUndefined();
    });

    it('keeps the sound correct when the vowel came 500 ms before it (a separate answer, not a piece of the name)', () => {
      const { pieces, second } = judged(['m_sound'], [...blank(5), ...say('ɛ'), ...blank(12), ...sep, ...blank(12), ...say('m'), ...blank(5)]);
      expect(pieces).toEqual(['ɛ', 'm']);
      expect(second?.items[0]).toMatchObject({ verdict: 'correct', heard: 'm' });
      expect(second?.inserted.map((e) => e.element)).toEqual(['ɛ']);
    });
  });

  it('rejects a negative or non-finite margin with a message naming it', () => {
    expect(() => secondLookConfig(catalog, TOKENS, { margin: -1 })).toThrow(/second-look margin must be a finite number ≥ 0/);
    expect(() => secondLookConfig(catalog, TOKENS, { margin: Number.NaN })).toThrow(/second-look margin/);
    expect(() => secondLookConfig(catalog, TOKENS, { contextFrames: 1.5 })).toThrow(/second-look context/);
    expect(secondLookConfig(catalog, TOKENS).margin).toBe(DEFAULT_SECOND_LOOK_MARGIN);
  });

  it('decodePhrase keeps normalised log-probabilities for the second look', () => {
    const hyp = decodePhrase(logitsOf([...blank(2), ...say('bi')]), vocabulary, catalog);
    const lp = hyp.logProbs as FrameLogProbs;
    for (let f = 0; f < hyp.frames; f++) {
      let s = 0;
      for (let v = 0; v < V; v++) s += Math.exp(lp.data[f * V + v] as number);
      expect(s).toBeCloseTo(1, 5);
    }
    expect([lp.blank, lp.separator]).toEqual([0, 1]);
  });
});
