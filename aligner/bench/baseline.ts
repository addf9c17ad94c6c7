/**
 * The previous system's aligner, re-implemented as the benchmark baseline: a unit-cost Myers
 * O(ND) diff on ids (a pair is "equal" when the table marks it Canonical or Accepted), then runs
 * of deletions followed by insertions are paired into substitutions. Not exact weighted alignment.
 */
import { type Alignment, type CostTable, EditOp, PairKind } from '../index';

/** Myers diff + pairing of ref against hyp; cost is the table cost of the resulting path. */
export function baselineAlign(table: CostTable, ref: Uint32Array, hyp: Uint32Array): Alignment {
  const n = ref.length;
  const m = hyp.length;
  const { kind, elements } = table;
  const equal = (i: number, j: number): boolean => kind[(ref[i] as number) * elements + (hyp[j] as number)] !== PairKind.Other;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number)) ? (v[offset + k + 1] as number) : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && equal(x, y)) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  // Backtrack into a reversed script: 0 equal, 1 delete, 2 insert.
  const script: number[] = [];
  const sr: number[] = [];
  const sh: number[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const w = trace[d] as Int32Array;
    const at = (k: number): number => w[k + d + 1] as number;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      script.push(0);
      sr.push(--x);
      sh.push(--y);
    }
    if (x === prevX) {
      script.push(2);
      sr.push(-1);
      sh.push(--y);
    } else {
      script.push(1);
      sr.push(--x);
      sh.push(-1);
    }
  }
  while (x > 0 && y > 0) {
    script.push(0);
    sr.push(--x);
    sh.push(--y);
  }
  // Forward pass pairing each run of deletions with the insertions that follow it.
  const len = script.length;
  const ops: number[] = [];
  const refIndex: number[] = [];
  const hypIndex: number[] = [];
  let s = len - 1;
  while (s >= 0) {
    if (script[s] !== 1) {
      const isEqual = script[s] === 0;
      const r = sr[s] as number;
      const h = sh[s] as number;
      ops.push(isEqual ? (kind[(ref[r] as number) * elements + (hyp[h] as number)] as number) : EditOp.Insert);
      refIndex.push(r);
      hypIndex.push(h);
      s--;
      continue;
    }
    let dels = s;
    while (dels >= 0 && script[dels] === 1) dels--;
    let ins = dels;
    while (ins >= 0 && script[ins] === 2) ins--;
    const nd = s - dels;
    const ni = dels - ins;
    const paired = Math.min(nd, ni);
    for (let p = 0; p < nd; p++) {
      const r = sr[s - p] as number;
      if (p < paired) {
        const h = sh[dels - p] as number;
        ops.push(kind[(ref[r] as number) * elements + (hyp[h] as number)] as number);
        refIndex.push(r);
        hypIndex.push(h);
      } else {
        ops.push(EditOp.Delete);
        refIndex.push(r);
        hypIndex.push(-1);
      }
    }
    for (let p = paired; p < ni; p++) {
      ops.push(EditOp.Insert);
      refIndex.push(-1);
      hypIndex.push(sh[dels - p] as number);
    }
    s = ins;
  }
  let cost = 0;
  for (let t = 0; t < ops.length; t++) {
    const op = ops[t];
    if (op === EditOp.Insert) cost += table.insert;
    else if (op === EditOp.Delete) cost += table.delete;
    else cost += table.sub[(ref[refIndex[t] as number] as number) * elements + (hyp[hypIndex[t] as number] as number)] as number;
  }
  return { ops: Uint8Array.from(ops), refIndex: Int32Array.from(refIndex), hypIndex: Int32Array.from(hypIndex), cost };
}
