/**
 * The specification of the aligner as a plain full-matrix DP (O(n*m) memory): the tests and the
 * benchmark compare both backends against it. Not used in production paths.
 */
import { type Alignment, EditOp } from '../types';
import type { ValidInput, ValidTable } from '../validate';

/**
 * D[0][0]=0; D[i][j] = min(diag D[i-1][j-1]+sub, del D[i-1][j]+delete, ins D[i][j-1]+insCost(j-1)),
 * choosing per cell the first of diag, del, ins that is strictly below the ones before it;
 * insCost(k) = 0 for padding, else input.insertCost[k] when given, else table.insert.
 */
export function referenceAlign(table: ValidTable, input: ValidInput): Alignment {
  const { ref, hyp, freeLead, freeTrail } = input;
  const n = ref.length;
  const m = hyp.length;
  const w = m + 1;
  const insertCost = input.insertCost;
  const insCost = (k: number): number => (k < freeLead || k >= m - freeTrail ? 0 : insertCost === undefined ? table.insert : (insertCost[k] as number) + 0);
  const d = new Float64Array((n + 1) * w);
  const dir = new Uint8Array((n + 1) * w);
  for (let j = 1; j <= m; j++) {
    d[j] = (d[j - 1] as number) + insCost(j - 1);
    dir[j] = 2;
  }
  for (let i = 1; i <= n; i++) {
    d[i * w] = (d[(i - 1) * w] as number) + table.delete;
    dir[i * w] = 1;
    for (let j = 1; j <= m; j++) {
      let best = (d[(i - 1) * w + j - 1] as number) + (table.sub[(ref[i - 1] as number) * table.elements + (hyp[j - 1] as number)] as number);
      let how = 0;
      const del = (d[(i - 1) * w + j] as number) + table.delete;
      if (del < best) {
        best = del;
        how = 1;
      }
      const ins = (d[i * w + j - 1] as number) + insCost(j - 1);
      if (ins < best) {
        best = ins;
        how = 2;
      }
      d[i * w + j] = best;
      dir[i * w + j] = how;
    }
  }
  const ops: number[] = [];
  const refIndex: number[] = [];
  const hypIndex: number[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    const how = dir[i * w + j];
    if (how === 0) {
      i--;
      j--;
      ops.push(table.kind[(ref[i] as number) * table.elements + (hyp[j] as number)] as number);
      refIndex.push(i);
      hypIndex.push(j);
    } else if (how === 1) {
      i--;
      ops.push(EditOp.Delete);
      refIndex.push(i);
      hypIndex.push(-1);
    } else {
      j--;
      ops.push(EditOp.Insert);
      refIndex.push(-1);
      hypIndex.push(j);
    }
  }
  return {
    ops: Uint8Array.from(ops.reverse()),
    refIndex: Int32Array.from(refIndex.reverse()),
    hypIndex: Int32Array.from(hypIndex.reverse()),
    cost: d[n * w + m] as number,
  };
}
