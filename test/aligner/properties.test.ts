/**
 * Property tests of both backends (fast-check) and native/TS parity. The native module is built by
 * `node aligner/build.js`; when it is missing these native tests are skipped with a warning,
 * unless ALIGNER_REQUIRE_NATIVE=1 (CI), where a missing module fails the suite.
 */
import fc from 'fast-check';
import { AlignerInputError, type AlignInput, type Alignment, type CostTable, createAligner, EditOp, nativeStatus, PairKind, type PhraseAligner } from '../../aligner';
import { loadNativeBinding } from '../../aligner/native';
import { referenceAlign } from '../../aligner/ts/referenceDp';
import { validateInput, validateTable } from '../../aligner/validate';
import { bruteForceCost, caseArb, caseOfLength, insertCostOf, mutate, seeded, tableArb } from './fixtures';

const status = nativeStatus();
const requireNative = process.env.ALIGNER_REQUIRE_NATIVE === '1';
if (!status.available && !requireNative) {
  console.warn(`SKIPPING native aligner tests: ${status.reason}`);
}
const backends: Array<'ts' | 'native'> = status.available || requireNative ? ['ts', 'native'] : ['ts'];

/** Checks that the path is well formed; returns a reason or '' when fine. */
function pathProblem(table: CostTable, input: AlignInput, a: Alignment): string {
  const { ops, refIndex, hypIndex } = a;
  if (ops.length !== refIndex.length || ops.length !== hypIndex.length) return 'array lengths differ';
  let nextRef = 0;
  let nextHyp = 0;
  const verdicts = new Array<number>(input.ref.length).fill(0);
  for (let s = 0; s < ops.length; s++) {
    const op = ops[s] as number;
    const r = refIndex[s] as number;
    const h = hypIndex[s] as number;
    if (op === EditOp.Insert) {
      if (r !== -1 || h !== nextHyp++) return `step ${s}: bad insert`;
      continue;
    }
    if (r !== nextRef++) return `step ${s}: ref index ${r} out of order`;
    verdicts[r] = (verdicts[r] as number) + 1;
    if (op === EditOp.Delete) {
      if (h !== -1) return `step ${s}: delete with a hyp index`;
    } else {
      if (h !== nextHyp++) return `step ${s}: hyp index ${h} out of order`;
      const pair = (input.ref[r] as number) * table.elements + (input.hyp[h] as number);
      if (op !== table.kind[pair]) return `step ${s}: op ${op} is not the pair kind`;
    }
  }
  if (nextRef !== input.ref.length || nextHyp !== input.hyp.length) return 'path does not consume every symbol';
  if (verdicts.some((v) => v !== 1)) return 'an item has no or several verdicts';
  return '';
}

/** Sum of the step costs in path order (the DP's addition order). */
function pathCost(table: CostTable, input: AlignInput, a: Alignment): number {
  let cost = 0;
  for (let s = 0; s < a.ops.length; s++) {
    const op = a.ops[s];
    const r = a.refIndex[s] as number;
    const h = a.hypIndex[s] as number;
    if (op === EditOp.Insert) cost += insertCostOf(table, input, h);
    else if (op === EditOp.Delete) cost += table.delete;
    else cost += table.sub[(input.ref[r] as number) * table.elements + (input.hyp[h] as number)] as number;
  }
  return cost;
}

describe.each(backends)('PhraseAligner properties (%s backend)', (backend) => {
  const make = (table: CostTable): PhraseAligner => createAligner(table, { backend });

  it('reports the requested backend', () => {
    fc.assert(
      fc.property(tableArb, (table) => make(table).backend === backend),
      { numRuns: 5 },
    );
  });

  it('consumes every ref and hyp symbol once, in order, with one verdict per item', () => {
    fc.assert(
      fc.property(caseArb, ({ table, input }) => {
        expect(pathProblem(table, input, make(table).align(input))).toBe('');
      }),
      { numRuns: 1500 },
    );
  });

  it('returns the cost of its own path, equal to a brute-force minimum on small inputs', () => {
    const small = caseArb.filter(({ input }) => input.ref.length <= 5 && input.hyp.length <= 5);
    fc.assert(
      fc.property(small, ({ table, input }) => {
        const a = make(table).align(input);
        expect(a.cost).toBe(pathCost(table, input, a));
        expect(a.cost).toBe(bruteForceCost(table, input));
      }),
      { numRuns: 1500 },
    );
  });

  it('equals the full-matrix DP (path and tie-breaks)', () => {
    fc.assert(
      fc.property(caseArb, ({ table, input }) => {
        const valid = validateTable(table);
        expect(make(table).align(input)).toEqual(referenceAlign(valid, validateInput(input, valid)));
      }),
      { numRuns: 1500 },
    );
  });

  it('equals the full-matrix DP where the pruned search runs (guessed and banded bounds), with per-element insertion costs', () => {
    // Over 512 cells the search prunes with a lower bound that takes the cheapest insertion
    // still ahead; 256+ symbols add the adaptive band's bound. Both must stay exact when the
    // insertion costs vary per element (0 included).
    const medium = caseOfLength(60, 22);
    fc.assert(
      fc.property(medium, ({ table, input }) => {
        const valid = validateTable(table);
        expect(make(table).align(input)).toEqual(referenceAlign(valid, validateInput(input, valid)));
      }),
      { numRuns: 300 },
    );
    const long = caseOfLength(300, 256);
    fc.assert(
      fc.property(long, ({ table, input }) => {
        const valid = validateTable(table);
        expect(make(table).align(input)).toEqual(referenceAlign(valid, validateInput(input, valid)));
      }),
      { numRuns: 12 },
    );
  });

  it('treats insertCost equal to table.insert everywhere exactly as no insertCost', () => {
    fc.assert(
      fc.property(caseOfLength(40), ({ table, input }) => {
        const { insertCost: _ignored, ...plain } = input;
        const uniform = { ...plain, insertCost: new Float64Array(input.hyp.length).fill(table.insert) };
        const aligner = make(table);
        const a = aligner.align(plain);
        expect(aligner.align(uniform)).toEqual(a);
        expect(Object.is(aligner.align(uniform).cost, a.cost)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('raising one element’s insertion cost by δ never lowers the optimum and raises it by at most δ', () => {
    fc.assert(
      fc.property(caseOfLength(12), fc.nat(), fc.integer({ min: 1, max: 16 }), ({ table, input }, at, eighths) => {
        fc.pre(input.hyp.length > 0);
        const k = at % input.hyp.length;
        const base = input.insertCost ?? new Float64Array(input.hyp.length).fill(table.insert);
        const raised = Float64Array.from(base);
        raised[k] = (raised[k] as number) + eighths / 8;
        const aligner = make(table);
        const before = aligner.align({ ...input, insertCost: base }).cost;
        const after = aligner.align({ ...input, insertCost: raised }).cost;
        expect(after).toBeGreaterThanOrEqual(before);
        expect(after).toBeLessThanOrEqual(before + eighths / 8);
      }),
      { numRuns: 800 },
    );
  });

  it('aligns identical inputs as all Match at cost 0', () => {
    const arb = tableArb.chain((table) =>
      fc.record({
        table: fc.constant(table),
        ids: fc.array(fc.integer({ min: 0, max: Math.min(table.items, table.elements) - 1 }), { maxLength: 40 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ table, ids }) => {
        const a = make(table).align({ ref: Uint32Array.from(ids), hyp: Uint32Array.from(ids) });
        expect(Array.from(a.ops)).toEqual(ids.map(() => EditOp.Match));
        expect(a.cost).toBe(0);
      }),
    );
  });

  it('appending a canonically matched suffix never raises the cost, and keeps it when the suffix is unrelated', () => {
    // Suffix symbols are fresh ids: canonical with each other (cost 0) and costing
    // insert+delete or more against everything else, so no path gains by mixing them in.
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 4 }), ({ table, input }, extra) => {
        const items = table.items + extra;
        const elements = table.elements + extra;
        // Suffix elements cost table.insert to insert; `far` tops delete + the dearest insertion.
        const far = Math.max(table.insert, ...(input.insertCost ?? [])) + table.delete + 1;
        const sub = new Float64Array(items * elements).fill(far);
        const kind = new Uint8Array(items * elements).fill(PairKind.Other);
        for (let i = 0; i < items; i++) {
          for (let e = 0; e < elements; e++) {
            if (i < table.items && e < table.elements) {
              sub[i * elements + e] = table.sub[i * table.elements + e] as number;
              kind[i * elements + e] = table.kind[i * table.elements + e] as number;
            } else if (i - table.items === e - table.elements) {
              sub[i * elements + e] = 0;
              kind[i * elements + e] = PairKind.Canonical;
            }
          }
        }
        const wide: CostTable = { ...table, items, elements, sub, kind };
        const base = { ...input, freeTrail: 0 };
        const before = make(wide).align(base).cost;
        const suffix = Array.from({ length: extra }, (_, k) => k);
        const costs = input.insertCost ? { insertCost: Float64Array.from([...input.insertCost, ...suffix.map(() => table.insert)]) } : {};
        const longer = {
          ...base,
          ref: Uint32Array.from([...input.ref, ...suffix.map((k) => table.items + k)]),
          hyp: Uint32Array.from([...input.hyp, ...suffix.map((k) => table.elements + k)]),
          ...costs,
        };
        const after = make(wide).align(longer);
        expect(after.cost).toBe(before);
        // The general bound, with an ordinary canonical suffix (item i -> element i).
        const k = Math.min(table.items, table.elements);
        const plain = {
          ...base,
          ref: Uint32Array.from([...input.ref, ...suffix.map((s) => s % k)]),
          hyp: Uint32Array.from([...input.hyp, ...suffix.map((s) => s % k)]),
          ...costs,
        };
        expect(make(table).align(plain).cost).toBeLessThanOrEqual(make(table).align(base).cost);
      }),
      { numRuns: 800 },
    );
  });

  it('never throws on valid edge inputs', () => {
    fc.assert(
      fc.property(tableArb, fc.nat(6), fc.nat(6), (table, n, m) => {
        const aligner = make(table);
        const ref = new Uint32Array(n);
        const hyp = new Uint32Array(m);
        for (const input of [
          { ref: new Uint32Array(0), hyp: new Uint32Array(0) },
          { ref, hyp: new Uint32Array(0) },
          { ref: new Uint32Array(0), hyp, freeLead: m },
          { ref, hyp, freeLead: Math.floor(m / 2), freeTrail: m - Math.floor(m / 2) },
        ]) {
          expect(pathProblem(table, input, aligner.align(input))).toBe('');
        }
        expect(aligner.alignBatch([])).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects NaN costs and out-of-range ids with a clear error', () => {
    const table: CostTable = {
      items: 1,
      elements: 2,
      sub: Float64Array.of(0, Number.NaN),
      kind: Uint8Array.of(0, 2),
      insert: 1,
      delete: 1,
    };
    expect(() => make(table)).toThrow(/table\.sub\[1\] \(item 0, element 1\) is NaN/);
    const ok = make({ ...table, sub: Float64Array.of(0, 1) });
    expect(() => ok.align({ ref: Uint32Array.of(1), hyp: Uint32Array.of(0) })).toThrow(AlignerInputError);
    expect(() => ok.align({ ref: Uint32Array.of(0), hyp: Uint32Array.of(2) })).toThrow(/input\.hyp\[0\] is element id 2/);
    expect(() => ok.align({ ref: Uint32Array.of(0), hyp: Uint32Array.of(0), freeTrail: 2 })).toThrow(/exceeds hyp\.length 1/);
    expect(() => ok.align({ ref: Uint32Array.of(0), hyp: Uint32Array.of(0), freeLead: -1 })).toThrow(/freeLead/);
    expect(() =>
      ok.alignBatch([
        { ref: Uint32Array.of(0), hyp: Uint32Array.of(0) },
        { ref: Uint32Array.of(5), hyp: Uint32Array.of(0) },
      ]),
    ).toThrow(/input\.ref\[0\] is item id 5/);
  });

  it('rejects a bad insertCost with a coded error naming it, single and batched', () => {
    const table: CostTable = { items: 1, elements: 2, sub: Float64Array.of(0, 1), kind: Uint8Array.of(0, 2), insert: 1, delete: 1 };
    const aligner = make(table);
    const ref = Uint32Array.of(0);
    const hyp = Uint32Array.of(0, 1);
    const codeOf = (fn: () => unknown): [string, string] => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(AlignerInputError);
        return [(err as AlignerInputError).code, (err as Error).message];
      }
      return ['no error', ''];
    };
    const cases: Array<[unknown, string, RegExp]> = [
      [[1, 1], 'invalid-sequence', /insertCost must be a Float64Array/],
      [Float32Array.of(1, 1), 'invalid-sequence', /insertCost must be a Float64Array/],
      [Float64Array.of(1), 'invalid-sequence', /insertCost has 1 costs; expected hyp\.length = 2/],
      [Float64Array.of(1, Number.NaN), 'invalid-cost', /insertCost\[1\] is NaN; costs must be finite numbers >= 0/],
      [Float64Array.of(-0.5, 1), 'invalid-cost', /insertCost\[0\] is -0\.5/],
      [Float64Array.of(1, Number.POSITIVE_INFINITY), 'invalid-cost', /insertCost\[1\] is Infinity/],
      [Float64Array.of(1, 2e15), 'invalid-cost', /insertCost\[1\] is 2000000000000000; costs must be finite, >= 0 and <= 1000000000000000/],
    ];
    for (const [insertCost, code, text] of cases) {
      const input = { ref, hyp, insertCost } as unknown as AlignInput;
      const [gotCode, message] = codeOf(() => aligner.align(input));
      expect([gotCode, message]).toEqual([code, expect.stringMatching(text)]);
      expect(codeOf(() => aligner.alignBatch([{ ref, hyp }, input]))[0]).toBe(code);
    }
    // Checked even where every element is padding (and then free).
    expect(codeOf(() => aligner.align({ ref, hyp, freeLead: 2, insertCost: Float64Array.of(Number.NaN, 0) }))[0]).toBe('invalid-cost');
    expect(aligner.align({ ref, hyp, freeLead: 1, freeTrail: 1, insertCost: Float64Array.of(7, 7) }).cost).toBe(0); // a <- padding a, free 1
    expect(aligner.align({ ref, hyp, insertCost: Float64Array.of(-0, 0.25) }).cost).toBe(0.25);
  });
});

const nativeDescribe = backends.includes('native') ? describe : describe.skip;

nativeDescribe('native backend parity with the TypeScript fallback', () => {
  it('is what createAligner picks by default', () => {
    expect(status.available).toBe(true);
    const table: CostTable = { items: 1, elements: 1, sub: Float64Array.of(0), kind: Uint8Array.of(0), insert: 1, delete: 1 };
    expect(createAligner(table).backend).toBe('native');
  });

  it('gives identical ops, indices and bit-identical costs on random inputs', () => {
    fc.assert(
      fc.property(caseArb, ({ table, input }) => {
        const a = createAligner(table, { backend: 'native' }).align(input);
        const b = createAligner(table, { backend: 'ts' }).align(input);
        expect(a).toEqual(b);
        expect(Object.is(a.cost, b.cost)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives identical results on long inputs with real-valued costs, single and batched', () => {
    const rnd = seeded(99);
    const items = 40;
    const sub = new Float64Array(items * items);
    const kind = new Uint8Array(items * items);
    for (let k = 0; k < sub.length; k++) {
      const i = Math.floor(k / items);
      const e = k % items;
      kind[k] = i === e ? PairKind.Canonical : rnd() < 0.05 ? PairKind.Accepted : PairKind.Other;
      sub[k] = kind[k] === PairKind.Other ? 0.1 + rnd() * 1.7 : 0;
    }
    const table: CostTable = { items, elements: items, sub, kind, insert: 0.7 + rnd(), delete: 0.6 + rnd() };
    const native = createAligner(table, { backend: 'native' });
    const ts = createAligner(table, { backend: 'ts' });
    const inputs: AlignInput[] = [];
    for (let t = 0; t < 200; t++) {
      const len = t % 20 === 0 ? 1500 : 1 + Math.floor(rnd() * 80);
      const ref = Array.from({ length: len }, () => Math.floor(rnd() * items));
      const hyp = mutate(ref, items, rnd() * 0.5, rnd);
      const freeLead = t % 3 === 0 ? Math.min(3, hyp.length) : 0;
      const freeTrail = t % 4 === 0 ? Math.min(2, hyp.length - freeLead) : 0;
      const input: AlignInput = { ref: Uint32Array.from(ref), hyp: Uint32Array.from(hyp), freeLead, freeTrail };
      // Every other phrase with real-valued per-element insertion costs (a batch mixes both kinds).
      if (t % 2 === 1) input.insertCost = Float64Array.from(hyp, () => (rnd() < 0.1 ? 0 : 0.2 + rnd() * 1.6));
      inputs.push(input);
    }
    const expected = inputs.map((input) => ts.align(input));
    expect(inputs.map((input) => native.align(input))).toEqual(expected);
    expect(native.alignBatch(inputs)).toEqual(expected);
    expect(ts.alignBatch(inputs)).toEqual(expected);
    const valid = validateTable(table);
    inputs.forEach((input, k) => {
      if (k % 10 === 1) expect(expected[k]).toEqual(referenceAlign(valid, validateInput(input, valid)));
    });
  });

  it('gives identical batches of random phrases with and without per-element insertion costs', () => {
    fc.assert(
      fc.property(tableArb, fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 40 }), (table, seeds) => {
        const inputs = seeds.map(([a, b]): AlignInput => {
          const rnd = seeded(a * 31 + b);
          const ref = Uint32Array.from({ length: a % 10 }, () => Math.floor(rnd() * table.items));
          const hyp = Uint32Array.from({ length: b % 12 }, () => Math.floor(rnd() * table.elements));
          return b % 3 === 0 ? { ref, hyp } : { ref, hyp, freeLead: Math.min(1, hyp.length), insertCost: Float64Array.from(hyp, () => Math.floor(rnd() * 20) / 8) };
        });
        const a = createAligner(table, { backend: 'native' }).alignBatch(inputs);
        const b = createAligner(table, { backend: 'ts' }).alignBatch(inputs);
        expect(a).toEqual(b);
        a.forEach((r, k) => {
          expect(Object.is(r.cost, (b[k] as Alignment).cost)).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('rejects bad calls to the raw module with a coded error instead of crashing', () => {
    const binding = loadNativeBinding();
    if (binding === undefined) throw new Error('native module not loaded');
    const codeOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        return String((err as { code?: unknown }).code);
      }
      return 'no error';
    };
    expect(codeOf(() => binding.createTable(Float64Array.of(Number.NaN), Uint8Array.of(0), 1, 1, 1, 1))).toBe('invalid-cost');
    expect(codeOf(() => binding.createTable(Float64Array.of(0), Uint8Array.of(0), 2, 1, 1, 1))).toBe('invalid-table-size');
    expect(codeOf(() => binding.createTable(Float64Array.of(0), Uint8Array.of(9), 1, 1, 1, 1))).toBe('invalid-kind');
    expect(codeOf(() => binding.createTable(Float64Array.of(0), Uint8Array.of(0), 1, 1, Number.NaN, 1))).toBe('invalid-cost');
    const t = binding.createTable(Float64Array.of(0), Uint8Array.of(0), 1, 1, 1, 1);
    const out = new Float64Array(8);
    expect(codeOf(() => binding.align({}, Uint32Array.of(0), Uint32Array.of(0), 0, 0, out))).toBe('invalid-table-size');
    expect(codeOf(() => binding.align(t, Int32Array.of(0) as never, Uint32Array.of(0), 0, 0, out))).toBe('invalid-sequence');
    expect(codeOf(() => binding.align(t, Uint32Array.of(0), Uint32Array.of(1), 0, 0, out))).toBe('id-out-of-range');
    expect(codeOf(() => binding.align(t, Uint32Array.of(0), Uint32Array.of(0), 1, 1, out))).toBe('invalid-padding');
    expect(codeOf(() => binding.align(t, Uint32Array.of(0), Uint32Array.of(0), 0.5, 0, out))).toBe('invalid-padding');
    expect(codeOf(() => binding.align(t, Uint32Array.of(0, 0), Uint32Array.of(0), 0, 0, new Float64Array(2)))).toBe('invalid-sequence');
    expect(binding.align(t, Uint32Array.of(0), Uint32Array.of(0), 0, 0, out)).toBe(1);
    expect(codeOf(() => (binding.align as (...a: unknown[]) => unknown)(t))).toBe('invalid-sequence');
    expect(codeOf(() => binding.alignBatch(t, Uint32Array.of(0), Uint32Array.of(2), Uint32Array.of(0), Uint32Array.of(1), Uint32Array.of(0, 0), 2))).toBe('invalid-sequence');
    // insertCost: optional 7th argument of align, 8th of alignBatch (parallel to hyps)
    expect(binding.align(t, Uint32Array.of(0), Uint32Array.of(0), 0, 0, out, undefined)).toBe(1);
    expect(codeOf(() => binding.align(t, Uint32Array.of(0), Uint32Array.of(0), 0, 0, out, [1] as never))).toBe('invalid-sequence');
    expect(codeOf(() => binding.align(t, Uint32Array.of(0), Uint32Array.of(0), 0, 0, out, Float64Array.of(1, 1)))).toBe('invalid-sequence');
    expect(codeOf(() => binding.align(t, Uint32Array.of(0), Uint32Array.of(0), 0, 0, out, Float64Array.of(-1)))).toBe('invalid-cost');
    const batch = (costs?: Float64Array) => binding.alignBatch(t, Uint32Array.of(0), Uint32Array.of(1), Uint32Array.of(0), Uint32Array.of(1), Uint32Array.of(0, 0), 1, costs);
    expect(batch(Float64Array.of(1)).byteLength).toBeGreaterThan(0);
    expect(codeOf(() => batch(Float64Array.of(1, 1)))).toBe('invalid-sequence');
    expect(codeOf(() => batch(Float64Array.of(Number.NaN)))).toBe('invalid-cost');
  });
});
