/** Factories for aligner tests: small cost tables and random inputs (fast-check arbitraries). */
import fc from 'fast-check';
import { type AlignInput, type CostTable, PairKind } from '../../aligner';

/** A table from a kind/cost matrix given per item as [kind, cost] pairs. */
export function makeTable(rows: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, insert = 1, del = 1): CostTable {
  const items = rows.length;
  const elements = rows[0]?.length ?? 0;
  const sub = new Float64Array(items * elements);
  const kind = new Uint8Array(items * elements);
  rows.forEach((row, i) => {
    row.forEach(([k, c], e) => {
      kind[i * elements + e] = k;
      sub[i * elements + e] = c;
    });
  });
  return { items, elements, sub, kind, insert, delete: del };
}

/**
 * A random table: item i's canonical element is i (when elements > i), a few accepted/near-miss
 * pairs, the rest Other at cost `other`. Costs are multiples of 1/8 so sums are exact in f64.
 */
export const tableArb = fc
  .record({
    items: fc.integer({ min: 1, max: 6 }),
    elements: fc.integer({ min: 1, max: 7 }),
    insert: fc.integer({ min: 0, max: 16 }).map((v) => v / 8),
    delete: fc.integer({ min: 0, max: 16 }).map((v) => v / 8),
    seed: fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 42, maxLength: 42 }),
  })
  .map(({ items, elements, insert, delete: del, seed }): CostTable => {
    const sub = new Float64Array(items * elements);
    const kind = new Uint8Array(items * elements);
    for (let i = 0; i < items; i++) {
      for (let e = 0; e < elements; e++) {
        const k = i * elements + e;
        const s = seed[k % seed.length] as number;
        if (e === i) {
          kind[k] = PairKind.Canonical;
          sub[k] = 0;
        } else if (s === 0) {
          kind[k] = PairKind.Accepted;
          sub[k] = 0;
        } else {
          kind[k] = PairKind.Other;
          sub[k] = s < 6 ? s / 8 : 1 + s / 8;
        }
      }
    }
    return { items, elements, sub, kind, insert, delete: del };
  });

/**
 * Per-element insertion costs for an input of up to `maxLength` elements: multiples of 1/8 in
 * 0..3 (exact sums; 0, below, equal to and above any table.insert), or undefined for about a
 * third of the cases (table.insert everywhere).
 */
export const insertCostArb = (maxLength: number) =>
  fc.option(
    fc.array(
      fc.integer({ min: 0, max: 24 }).map((v) => v / 8),
      { minLength: maxLength, maxLength },
    ),
    { freq: 3, nil: undefined },
  );

/** A table plus a valid input for it (padding within hyp, random per-element insertion costs or none). */
export const caseArb = caseOfLength(9);

/** Like caseArb with ref and hyp of minLength..maxLength symbols. */
export function caseOfLength(maxLength: number, minLength = 0) {
  return tableArb.chain((table) =>
    fc
      .record({
        ref: fc.array(fc.integer({ min: 0, max: table.items - 1 }), { minLength, maxLength }),
        hyp: fc.array(fc.integer({ min: 0, max: table.elements - 1 }), { minLength, maxLength }),
        lead: fc.nat(4),
        trail: fc.nat(4),
        costs: insertCostArb(maxLength),
      })
      .map(({ ref, hyp, lead, trail, costs }) => {
        const freeLead = Math.min(lead, hyp.length);
        const freeTrail = Math.min(trail, hyp.length - freeLead);
        const input: AlignInput = { ref: Uint32Array.from(ref), hyp: Uint32Array.from(hyp), freeLead, freeTrail };
        if (costs) input.insertCost = Float64Array.from(costs.slice(0, hyp.length));
        return { table, input };
      }),
  );
}

/** The cost of inserting hyp[k]: 0 in padding, else input.insertCost[k] or table.insert. */
export function insertCostOf(table: CostTable, input: AlignInput, k: number): number {
  if (k < (input.freeLead ?? 0) || k >= input.hyp.length - (input.freeTrail ?? 0)) return 0;
  return input.insertCost ? (input.insertCost[k] as number) : table.insert;
}

/** Edits a sequence: each position is kept, substituted, dropped or followed by an insertion. */
export function mutate(seq: readonly number[], alphabet: number, rate: number, rnd: () => number): number[] {
  const out: number[] = [];
  for (const s of seq) {
    const r = rnd();
    if (r >= rate) out.push(s);
    else if (r < rate / 3) out.push(Math.floor(rnd() * alphabet));
    else if (r < (2 * rate) / 3) continue;
    else out.push(s, Math.floor(rnd() * alphabet));
  }
  return out;
}

/** A seeded PRNG (mulberry32) for reproducible long cases. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Minimum path cost by enumerating every path (exponential: tiny inputs only). */
export function bruteForceCost(table: CostTable, input: AlignInput): number {
  const { ref, hyp } = input;
  const go = (i: number, j: number): number => {
    if (i === ref.length && j === hyp.length) return 0;
    let best = Number.POSITIVE_INFINITY;
    if (i < ref.length && j < hyp.length) {
      best = Math.min(best, (table.sub[(ref[i] as number) * table.elements + (hyp[j] as number)] as number) + go(i + 1, j + 1));
    }
    if (i < ref.length) best = Math.min(best, table.delete + go(i + 1, j));
    if (j < hyp.length) best = Math.min(best, insertCostOf(table, input, j) + go(i, j + 1));
    return best;
  };
  return go(0, 0);
}
