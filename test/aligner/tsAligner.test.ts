/** TsPhraseAligner: the golden regression, validation, and equality with the full-matrix DP. */

import fc from 'fast-check';
import { AlignerInputError, type CostTable, createAligner, EditOp, PairKind } from '../../aligner';
import { referenceAlign } from '../../aligner/ts/referenceDp';
import { validateInput, validateTable } from '../../aligner/validate';
import { readScoreConfig } from '../../core/config';
import { caseArb, makeTable, mutate, seeded } from './fixtures';

const C = PairKind.Canonical;
const O = PairKind.Other;

/** items a_letter, b_letter, c_letter; elements a, x, bi, si. */
function letterTable(): CostTable {
  return makeTable([
    [
      [C, 0],
      [O, 1],
      [O, 1],
      [O, 1],
    ],
    [
      [O, 1],
      [O, 1],
      [C, 0],
      [O, 1],
    ],
    [
      [O, 1],
      [O, 1],
      [O, 1],
      [C, 0],
    ],
  ]);
}

describe('TsPhraseAligner', () => {
  const aligner = createAligner(letterTable(), { backend: 'ts' });

  it('reports the ts backend', () => {
    expect(aligner.backend).toBe('ts');
  });

  it('maps verdicts by the path when an element is inserted (golden: a x bi si)', () => {
    const result = aligner.align({ ref: Uint32Array.of(0, 1, 2), hyp: Uint32Array.of(0, 1, 2, 3) });
    expect(Array.from(result.ops)).toEqual([EditOp.Match, EditOp.Insert, EditOp.Match, EditOp.Match]);
    expect(Array.from(result.refIndex)).toEqual([0, -1, 1, 2]);
    expect(Array.from(result.hypIndex)).toEqual([0, 1, 2, 3]);
    expect(result.cost).toBe(1);
  });

  it('treats padding insertions as free', () => {
    const result = aligner.align({ ref: Uint32Array.of(1), hyp: Uint32Array.of(0, 2, 3), freeLead: 1, freeTrail: 1 });
    expect(Array.from(result.ops)).toEqual([EditOp.Insert, EditOp.Match, EditOp.Insert]);
    expect(result.cost).toBe(0);
  });

  it('prefers the diagonal on ties, so a repeated answer matches its last attempt', () => {
    const result = aligner.align({ ref: Uint32Array.of(0), hyp: Uint32Array.of(0, 0) });
    expect(Array.from(result.ops)).toEqual([EditOp.Insert, EditOp.Match]);
    expect(Array.from(result.hypIndex)).toEqual([0, 1]);
  });

  it('handles empty sides', () => {
    expect(aligner.align({ ref: new Uint32Array(0), hyp: new Uint32Array(0) })).toEqual({
      ops: new Uint8Array(0),
      refIndex: new Int32Array(0),
      hypIndex: new Int32Array(0),
      cost: 0,
    });
    expect(Array.from(aligner.align({ ref: Uint32Array.of(0, 1), hyp: new Uint32Array(0) }).ops)).toEqual([EditOp.Delete, EditOp.Delete]);
    expect(aligner.align({ ref: new Uint32Array(0), hyp: Uint32Array.of(1, 1), freeTrail: 1 }).cost).toBe(1);
  });

  it('aligns a batch in input order', () => {
    const inputs = [
      { ref: Uint32Array.of(0, 1, 2), hyp: Uint32Array.of(0, 1, 2, 3) },
      { ref: Uint32Array.of(2), hyp: Uint32Array.of(3) },
    ];
    const results = aligner.alignBatch(inputs);
    expect(results.map((r) => r.cost)).toEqual([1, 0]);
  });
});

describe('createAligner backend selection', () => {
  it('uses the TypeScript backend when the config asks for it (ALIGNER_FORCE_TS=1 or READSCORE_ALIGNER=ts)', () => {
    for (const env of [{ ALIGNER_FORCE_TS: '1' }, { READSCORE_ALIGNER: 'ts' }]) {
      const config = readScoreConfig({ from: 'env', env });
      expect(config.aligner).toBe('ts');
      expect(createAligner(letterTable(), { backend: config.aligner }).backend).toBe('ts');
    }
    expect(() => readScoreConfig({ from: 'env', env: { ALIGNER_FORCE_TS: '1', READSCORE_ALIGNER: 'native' } })).toThrow(/ALIGNER_FORCE_TS: contradicts/);
  });

  it('rejects an unknown backend option', () => {
    expect(() => createAligner(letterTable(), { backend: 'gpu' as never })).toThrow(/options\.backend is gpu/);
  });
});

describe('createAligner validation', () => {
  const base = letterTable();
  const expectCode = (fn: () => unknown, code: string, text: RegExp) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(AlignerInputError);
      expect((err as AlignerInputError).code).toBe(code);
      expect((err as Error).message).toMatch(text);
      return;
    }
    throw new Error('expected an AlignerInputError');
  };

  it.each([
    ['NaN sub', { sub: base.sub.map((v, k) => (k === 5 ? Number.NaN : v)) }, 'invalid-cost', /table\.sub\[5\].*NaN/],
    ['negative sub', { sub: base.sub.map((v, k) => (k === 0 ? -1 : v)) }, 'invalid-cost', /table\.sub\[0\].*-1/],
    ['infinite sub', { sub: base.sub.map((v, k) => (k === 1 ? Number.POSITIVE_INFINITY : v)) }, 'invalid-cost', /Infinity/],
    ['NaN insert', { insert: Number.NaN }, 'invalid-cost', /table\.insert is NaN/],
    ['negative delete', { delete: -0.5 }, 'invalid-cost', /table\.delete is -0.5/],
    ['short sub', { sub: new Float64Array(3) }, 'invalid-table-size', /table\.sub has 3 costs/],
    ['short kind', { kind: new Uint8Array(3) }, 'invalid-table-size', /table\.kind has 3/],
    ['bad kind', { kind: base.kind.map((v, k) => (k === 2 ? 7 : v)) }, 'invalid-kind', /table\.kind\[2\].*7/],
  ])('rejects a table with %s', (_name, patch, code, text) => {
    expectCode(() => createAligner({ ...base, ...patch } as CostTable, { backend: 'ts' }), code, text);
  });

  it.each([
    ['an item id out of range', { ref: Uint32Array.of(0, 3), hyp: Uint32Array.of(0) }, 'id-out-of-range', /input\.ref\[1\].*3/],
    ['an element id out of range', { ref: Uint32Array.of(0), hyp: Uint32Array.of(9) }, 'id-out-of-range', /input\.hyp\[0\]/],
    ['padding beyond hyp', { ref: Uint32Array.of(0), hyp: Uint32Array.of(0), freeLead: 1, freeTrail: 1 }, 'invalid-padding', /exceeds hyp\.length 1/],
    ['fractional padding', { ref: Uint32Array.of(0), hyp: Uint32Array.of(0), freeLead: 0.5 }, 'invalid-padding', /freeLead/],
    ['a plain array', { ref: [0], hyp: Uint32Array.of(0) }, 'invalid-sequence', /input\.ref must be a Uint32Array/],
  ])('rejects an input with %s', (_name, input, code, text) => {
    const aligner = createAligner(base, { backend: 'ts' });
    expectCode(() => aligner.align(input as never), code, text);
  });
});

describe('TsPhraseAligner equals the full-matrix DP', () => {
  it('on random small inputs (ops, indices and cost)', () => {
    fc.assert(
      fc.property(caseArb, ({ table, input }) => {
        const expected = referenceAlign(validateTable(table), validateInput(input, validateTable(table)));
        expect(createAligner(table, { backend: 'ts' }).align(input)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('on long edited sequences, with and without padding', () => {
    const rnd = seeded(7);
    const items = 30;
    const sub = new Float64Array(items * items);
    const kind = new Uint8Array(items * items);
    for (let i = 0; i < items; i++) {
      for (let e = 0; e < items; e++) {
        const k = i * items + e;
        kind[k] = i === e ? PairKind.Canonical : PairKind.Other;
        sub[k] = i === e ? 0 : Math.abs(i - e) < 3 ? 0.4 + rnd() * 0.3 : 1;
      }
    }
    const table: CostTable = { items, elements: items, sub, kind, insert: 0.9, delete: 1.1 };
    const aligner = createAligner(table, { backend: 'ts' });
    for (let t = 0; t < 30; t++) {
      const len = 20 + Math.floor(rnd() * 400);
      const ref = Array.from({ length: len }, () => Math.floor(rnd() * items));
      const hyp = mutate(ref, items, 0.05 + rnd() * 0.4, rnd);
      const freeLead = t % 3 === 0 ? Math.min(hyp.length, 5) : 0;
      const freeTrail = t % 5 === 0 ? Math.min(hyp.length - freeLead, 7) : 0;
      const input = { ref: Uint32Array.from(ref), hyp: Uint32Array.from(hyp), freeLead, freeTrail };
      const valid = validateTable(table);
      expect(aligner.align(input)).toEqual(referenceAlign(valid, validateInput(input, valid)));
    }
  });
});
