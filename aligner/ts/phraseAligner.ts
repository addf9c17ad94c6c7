/**
 * TypeScript fallback aligner: global weighted edit distance with the exact banded search the Rust
 * crate uses (same recurrence, tie-break and addition order, so results are bit-identical).
 *
 * Search: (1) trivial paths (empty side, identical zero-cost diagonal) answer directly; (2) a cheap
 * adaptive band gives an upper bound U on the optimal cost; (3) the DP
 * runs row by row keeping only cells whose value plus a lower bound on the remaining cost is <= U
 * (widened by a float slack). Every cell of the full DP's optimal traceback path satisfies that,
 * so the banded run reproduces the full DP's cost and path exactly (proof in aligner/README.md).
 */
import { AlignerErrorCode, AlignerInputError } from '../errors';
import { MAX_BAND_CELLS } from '../limits';
import { type AlignInput, type Alignment, EditOp, type PhraseAligner } from '../types';
import { type ValidInput, type ValidTable, validateInput } from '../validate';

/** Direction of the step that reaches a cell (tie-break order: diagonal, delete, insert). */
const DIAG = 0;
const DEL = 1;
const INS = 2;
/** Relative float slack of the pruning threshold: 8 units of roundoff per summed term. */
const SLACK_PER_TERM = 2 ** -50;

/** Up to this many cells (an 8-item phrase has ~100) the plain full DP is cheaper than pruning. */
const FULL_DP_CELLS = 512;
/** Below this length the bound is guessed (and doubled on failure) instead of computed. */
const GUESS_BELOW = 256;

/** Half-width of the adaptive band that only serves to find an upper bound. */
function bandHalfWidth(n: number, m: number): number {
  return Math.max(n, m) < 256 ? 2 : 8;
}

/**
 * Lower bound on the cost from a cell to (n,m), given d = (m-j)-(n-i), the padding columns still
 * ahead and the cheapest insertion among the other columns ahead: a surplus of items must be
 * deleted, a surplus of elements inserted (padding free, every other one at least `insert`).
 */
function rest(d: number, free: number, insert: number, del: number): number {
  const a = (d - free) * insert;
  const b = -d * del;
  const r = a > b ? a : b;
  return r > 0 ? r : 0;
}

/** The TypeScript backend; buffers are kept and reused across calls (not re-entrant). */
export class TsPhraseAligner implements PhraseAligner {
  readonly backend = 'ts' as const;
  private readonly table: ValidTable;
  private rowA = new Float64Array(64);
  private rowB = new Float64Array(64);
  private dirs = new Uint8Array(4096);
  private rowLo = new Int32Array(64);
  private rowStart = new Int32Array(64);
  /** Per column: insertion cost of hyp[k] (0 in padding); padding columns at or after j; cheapest non-padding insertion at or after j (0 if none). */
  private colIns = new Float64Array(64);
  private colFree = new Float64Array(64);
  private colMin = new Float64Array(64);
  /** Dearest non-padding insertion of the current input (0 if none). */
  private maxIns = 0;
  private stepOp = new Uint8Array(128);
  private stepRef = new Int32Array(128);
  private stepHyp = new Int32Array(128);
  /** Work done by the last banded alignment (for the benchmark): the bound used and cells stored. */
  lastSearch = { upper: 0, cells: 0 };

  constructor(table: ValidTable) {
    this.table = table;
  }

  align(input: AlignInput): Alignment {
    return this.alignValid(validateInput(input, this.table));
  }

  alignBatch(inputs: readonly AlignInput[]): Alignment[] {
    const valid = inputs.map((input) => validateInput(input, this.table));
    return valid.map((input) => this.alignValid(input));
  }

  /** Aligns an already validated input. */
  alignValid(input: ValidInput): Alignment {
    const { ref, hyp, freeLead, freeTrail } = input;
    const n = ref.length;
    const m = hyp.length;
    const { sub, kind, elements } = this.table;
    this.prepareColumns(m, freeLead, freeTrail, input.insertCost);
    if (n === 0 || m === 0) return this.edgePath(input);
    if (n === m) {
      let k = 0;
      while (k < n && sub[(ref[k] as number) * elements + (hyp[k] as number)] === 0) k++;
      if (k === n) {
        // Every diagonal step costs 0, so each cell (i,i) is reached by the preferred diagonal.
        const ops = new Uint8Array(n);
        const refIndex = new Int32Array(n);
        let cost = 0;
        for (let i = 0; i < n; i++) {
          const pair = (ref[i] as number) * elements + (hyp[i] as number);
          cost += sub[pair] as number;
          ops[i] = kind[pair] as number;
          refIndex[i] = i;
        }
        return { ops, refIndex, hypIndex: refIndex.slice(), cost };
      }
    }
    this.ensureRows(m + 1, n + 1);
    let cost: number | undefined;
    if ((n + 1) * (m + 1) <= FULL_DP_CELLS) {
      cost = this.fullDp(ref, hyp);
    } else if (Math.max(n, m) < GUESS_BELOW) {
      cost = this.guessed(ref, hyp, freeLead, freeTrail);
    } else {
      const upper = this.bandUpperBound(ref, hyp);
      cost = this.pruned(ref, hyp, upper);
      if (cost === undefined) throw new Error(`aligner: the band lost the optimal path (bound ${upper}); this is a bug`);
    }
    return this.traceback(ref, hyp, cost);
  }

  /**
   * Short inputs: guess a bound instead of computing one. A guess below the optimum only makes
   * the pruned pass fail, and it is retried with twice the bound, capped by the cost of deleting
   * every item then inserting every element (a real path, so always enough).
   */
  private guessed(ref: Uint32Array, hyp: Uint32Array, freeLead: number, freeTrail: number): number {
    const n = ref.length;
    const m = hyp.length;
    const del = this.table.delete;
    const colIns = this.colIns;
    let trivial = 0;
    for (let i = 0; i < n; i++) trivial += del;
    for (let k = 0; k < m; k++) trivial += colIns[k] as number;
    // unit > 0 whenever trivial > 0, so doubling reaches trivial.
    let guess = rest(m - n, freeLead + freeTrail, this.colMin[0] as number, del) + Math.max(this.maxIns, del) * Math.ceil((n + m) / 16);
    for (;;) {
      if (guess >= trivial) {
        const cost = this.pruned(ref, hyp, trivial);
        if (cost === undefined) throw new Error(`aligner: the band lost the optimal path (bound ${trivial}); this is a bug`);
        return cost;
      }
      const cost = this.pruned(ref, hyp, guess);
      if (cost !== undefined) return cost;
      guess *= 2;
    }
  }

  /** The full DP over all (n+1)*(m+1) cells (small inputs only). */
  private fullDp(ref: Uint32Array, hyp: Uint32Array): number {
    const n = ref.length;
    const m = hyp.length;
    const { sub, elements } = this.table;
    const del = this.table.delete;
    const colIns = this.colIns;
    const w = m + 1;
    this.growDirs((n + 1) * w);
    const dirs = this.dirs;
    let prev = this.rowA;
    let cur = this.rowB;
    prev[0] = 0;
    for (let j = 1; j <= m; j++) prev[j] = (prev[j - 1] as number) + (colIns[j - 1] as number);
    for (let i = 1; i <= n; i++) {
      const rb = (ref[i - 1] as number) * elements;
      let pos = i * w;
      this.rowLo[i] = 0;
      this.rowStart[i] = pos;
      let left = (prev[0] as number) + del;
      cur[0] = left;
      dirs[pos++] = DEL;
      for (let j = 1; j <= m; j++) {
        let best = (prev[j - 1] as number) + (sub[rb + (hyp[j - 1] as number)] as number);
        let dir = DIAG;
        const d = (prev[j] as number) + del;
        if (d < best) {
          best = d;
          dir = DEL;
        }
        const x = left + (colIns[j - 1] as number);
        if (x < best) {
          best = x;
          dir = INS;
        }
        cur[j] = best;
        dirs[pos++] = dir;
        left = best;
      }
      const t = prev;
      prev = cur;
      cur = t;
    }
    this.lastSearch = { upper: Number.NaN, cells: (n + 1) * w };
    return prev[m] as number;
  }

  private edgePath(input: ValidInput): Alignment {
    const { ref, hyp } = input;
    const n = ref.length;
    const m = hyp.length;
    const steps = n + m; // one of them is 0
    const ops = new Uint8Array(steps);
    const refIndex = new Int32Array(steps);
    const hypIndex = new Int32Array(steps);
    let cost = 0;
    if (m === 0) {
      for (let i = 0; i < n; i++) {
        cost += this.table.delete;
        ops[i] = EditOp.Delete;
        refIndex[i] = i;
        hypIndex[i] = -1;
      }
    } else {
      for (let j = 0; j < m; j++) {
        cost += this.colIns[j] as number;
        ops[j] = EditOp.Insert;
        refIndex[j] = -1;
        hypIndex[j] = j;
      }
    }
    return { ops, refIndex, hypIndex, cost };
  }

  /**
   * Fills the per-column insertion costs (padding free, else input.insertCost or table.insert),
   * the padding columns ahead of each column and the cheapest non-padding insertion ahead (for
   * the lower bound `rest`), and the dearest one (for the guessed bound).
   */
  private prepareColumns(m: number, freeLead: number, freeTrail: number, insertCost: Float64Array | undefined): void {
    if (this.colIns.length < m + 1) {
      this.colIns = new Float64Array(2 * (m + 1));
      this.colFree = new Float64Array(2 * (m + 1));
      this.colMin = new Float64Array(2 * (m + 1));
    }
    const colIns = this.colIns;
    const colFree = this.colFree;
    const colMin = this.colMin;
    const trailStart = m - freeTrail;
    const insert = this.table.insert;
    let max = 0;
    for (let k = 0; k < m; k++) {
      const free = k < freeLead || k >= trailStart;
      const c = free ? 0 : insertCost === undefined ? insert : (insertCost[k] as number) + 0; // -0 -> +0
      colIns[k] = c;
      if (!free && c > max) max = c;
    }
    this.maxIns = max;
    let min = Number.POSITIVE_INFINITY;
    colMin[m] = 0;
    for (let j = m - 1; j >= 0; j--) {
      if (!(j < freeLead || j >= trailStart) && (colIns[j] as number) < min) min = colIns[j] as number;
      colMin[j] = min === Number.POSITIVE_INFINITY ? 0 : min;
    }
    for (let j = 0; j <= m; j++) colFree[j] = Math.min(m - j, freeTrail) + (freeLead > j ? freeLead - j : 0);
  }

  private ensureRows(width: number, rows: number): void {
    if (this.rowA.length < width) {
      this.rowA = new Float64Array(width * 2);
      this.rowB = new Float64Array(width * 2);
    }
    if (this.rowLo.length < rows) {
      this.rowLo = new Int32Array(rows * 2);
      this.rowStart = new Int32Array(rows * 2);
    }
  }

  /**
   * Cost of the best path inside an adaptive band (each row centred on the previous row's
   * cheapest cell): a real path's cost, hence an upper bound on the optimum.
   */
  private bandUpperBound(ref: Uint32Array, hyp: Uint32Array): number {
    const n = ref.length;
    const m = hyp.length;
    const { sub, elements } = this.table;
    const del = this.table.delete;
    const colIns = this.colIns;
    const w = bandHalfWidth(n, m);
    let prev = this.rowA;
    let cur = this.rowB;
    let phi = n === 1 ? m : Math.min(m, w);
    prev[0] = 0;
    let centre = 0;
    for (let j = 1; j <= phi; j++) {
      prev[j] = (prev[j - 1] as number) + (colIns[j - 1] as number);
      if ((prev[j] as number) < (prev[centre] as number)) centre = j;
    }
    let plo = 0;
    for (let i = 1; i <= n; i++) {
      const rb = (ref[i - 1] as number) * elements;
      // plo <= clo <= phi keeps the band connected; the last row reaches column m.
      const clo = Math.min(Math.max(centre - w, plo), phi);
      const chi = i === n ? m : Math.min(m, Math.max(centre + w + 1, clo));
      let bestJ = clo;
      for (let j = clo; j <= chi; j++) {
        let best = Number.POSITIVE_INFINITY;
        if (j > plo && j - 1 <= phi) best = (prev[j - 1] as number) + (sub[rb + (hyp[j - 1] as number)] as number);
        if (j <= phi) {
          const d = (prev[j] as number) + del;
          if (d < best) best = d;
        }
        if (j > clo) {
          const x = (cur[j - 1] as number) + (colIns[j - 1] as number);
          if (x < best) best = x;
        }
        cur[j] = best;
        if (best < (cur[bestJ] as number)) bestJ = j;
      }
      const t = prev;
      prev = cur;
      cur = t;
      plo = clo;
      phi = chi;
      centre = bestJ;
    }
    return prev[m] as number;
  }

  private growDirs(needed: number): void {
    if (needed > MAX_BAND_CELLS) {
      throw new AlignerInputError(AlignerErrorCode.TooLarge, `alignment needs more than ${MAX_BAND_CELLS} band cells; split the input into shorter phrases`);
    }
    if (needed > this.dirs.length) {
      const grown = new Uint8Array(Math.min(MAX_BAND_CELLS, Math.max(needed, this.dirs.length * 2)));
      grown.set(this.dirs);
      this.dirs = grown;
    }
  }

  /**
   * Row-by-row DP keeping the band of cells whose value + lower bound on the rest is <= upper
   * (+ slack). Returns the optimal cost, or undefined when the optimum is above `upper`.
   */
  private pruned(ref: Uint32Array, hyp: Uint32Array, upper: number): number | undefined {
    const n = ref.length;
    const m = hyp.length;
    const { sub, elements } = this.table;
    const del = this.table.delete;
    const limit = upper + upper * ((n + m + 4) * SLACK_PER_TERM);
    const rowLo = this.rowLo;
    const rowStart = this.rowStart;
    const colIns = this.colIns;
    const colFree = this.colFree;
    const colMin = this.colMin;
    // d = (m - j) - (n - i) = nm + i - j.
    const nm = m - n;

    let prev = this.rowA;
    let cur = this.rowB;
    prev[0] = 0;
    let phi = 0;
    for (let j = 1; j <= m; j++) {
      const v = (prev[j - 1] as number) + (colIns[j - 1] as number);
      if (v + rest(nm - j, colFree[j] as number, colMin[j] as number, del) > limit) break;
      prev[j] = v;
      phi = j;
    }
    let plo = 0;
    let pos = 0;
    for (let i = 1; i <= n; i++) {
      const rb = (ref[i - 1] as number) * elements;
      this.growDirs(pos + (m - plo + 1));
      const dirs = this.dirs;
      rowLo[i] = plo;
      rowStart[i] = pos;
      const d0 = nm + i;
      // j = plo: only the deletion from (i-1, plo) is inside the band. Cells that fail the
      // bound keep their (real-path) value; the bound only decides how far the band reaches.
      let left = (prev[plo] as number) + del;
      cur[plo] = left;
      dirs[pos++] = DEL;
      for (let j = plo + 1; j <= phi; j++) {
        let best = (prev[j - 1] as number) + (sub[rb + (hyp[j - 1] as number)] as number);
        let dir = DIAG;
        const d = (prev[j] as number) + del;
        if (d < best) {
          best = d;
          dir = DEL;
        }
        const x = left + (colIns[j - 1] as number);
        if (x < best) {
          best = x;
          dir = INS;
        }
        cur[j] = best;
        dirs[pos++] = dir;
        left = best;
      }
      let end = phi;
      if (phi < m) {
        end = phi + 1;
        let best = (prev[phi] as number) + (sub[rb + (hyp[phi] as number)] as number);
        let dir = DIAG;
        const x = left + (colIns[phi] as number);
        if (x < best) {
          best = x;
          dir = INS;
        }
        cur[end] = best;
        dirs[pos++] = dir;
      }
      // The next row's band: from the first to the last cell that passes the bound.
      let first = plo;
      while (first <= end && (cur[first] as number) + rest(d0 - first, colFree[first] as number, colMin[first] as number, del) > limit) first++;
      if (first > end) return undefined;
      let last = end;
      while ((cur[last] as number) + rest(d0 - last, colFree[last] as number, colMin[last] as number, del) > limit) last--;
      if (last === end && end === phi + 1) {
        // Beyond the previous row's band only insertions along this row reach a cell.
        for (let k = end + 1; k <= m; k++) {
          const v = (cur[k - 1] as number) + (colIns[k - 1] as number);
          if (v + rest(d0 - k, colFree[k] as number, colMin[k] as number, del) > limit) break;
          cur[k] = v;
          last = k;
          dirs[pos++] = INS;
        }
      }
      const t = prev;
      prev = cur;
      cur = t;
      plo = first;
      phi = last;
    }
    // Exact only if the optimum is within the bound itself (not just within the slack).
    if (phi !== m || !((prev[m] as number) <= upper)) return undefined;
    this.lastSearch = { upper, cells: pos };
    return prev[m] as number;
  }

  private traceback(ref: Uint32Array, hyp: Uint32Array, cost: number): Alignment {
    const { kind, elements } = this.table;
    let i = ref.length;
    let j = hyp.length;
    if (this.stepOp.length < i + j) {
      this.stepOp = new Uint8Array((i + j) * 2);
      this.stepRef = new Int32Array((i + j) * 2);
      this.stepHyp = new Int32Array((i + j) * 2);
    }
    const stepOp = this.stepOp;
    const stepRef = this.stepRef;
    const stepHyp = this.stepHyp;
    const dirs = this.dirs;
    let len = 0;
    while (i > 0) {
      const dir = dirs[(this.rowStart[i] as number) + j - (this.rowLo[i] as number)];
      if (dir === undefined || j < (this.rowLo[i] as number)) throw new Error('aligner: traceback left the stored band; this is a bug');
      if (dir === DIAG) {
        stepOp[len] = kind[(ref[i - 1] as number) * elements + (hyp[j - 1] as number)] as number;
        stepRef[len] = --i;
        stepHyp[len++] = --j;
      } else if (dir === DEL) {
        stepOp[len] = EditOp.Delete;
        stepRef[len] = --i;
        stepHyp[len++] = -1;
      } else {
        stepOp[len] = EditOp.Insert;
        stepRef[len] = -1;
        stepHyp[len++] = --j;
      }
    }
    while (j > 0) {
      stepOp[len] = EditOp.Insert;
      stepRef[len] = -1;
      stepHyp[len++] = --j;
    }
    const ops = new Uint8Array(len);
    const refIndex = new Int32Array(len);
    const hypIndex = new Int32Array(len);
    for (let s = 0; s < len; s++) {
      const r = len - 1 - s;
      ops[s] = stepOp[r] as number;
      refIndex[s] = stepRef[r] as number;
      hypIndex[s] = stepHyp[r] as number;
    }
    return { ops, refIndex, hypIndex, cost };
  }
}
