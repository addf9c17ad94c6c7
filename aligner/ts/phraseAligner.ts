/**
 * TypeScript fallback aligner: global weighted edit distance with the exact banded search the Rust
 * crate uses (same recurrence, tie-break and addition order, so results are bit-identical).
 *
 * Search: (1) trivial paths (empty side, identical zero-cost diagonal) answer directly; (2) a cheap
 * static band around the (0,0)-(n,m) line gives an upper bound U on the optimal cost; (3) the DP
 * runs row by row keeping only cells whose value plus a lower bound on the remaining cost is <= U
 * (widened by a float slack). Every cell of the full DP's optimal traceback path satisfies that,
 * so the banded run reproduces the full DP's cost and path exactly (proof in aligner/README.md).
 */
import { AlignerErrorCode, AlignerInputError } from '../errors';
import { MAX_BAND_CELLS } from '../limits';
import { EditOp, type AlignInput, type Alignment, type PhraseAligner } from '../types';
import { type ValidInput, type ValidTable, validateInput } from '../validate';

/** Direction of the step that reaches a cell (tie-break order: diagonal, delete, insert). */
const DIAG = 0;
const DEL = 1;
const INS = 2;
/** Relative float slack of the pruning threshold: 8 units of roundoff per summed term. */
const SLACK_PER_TERM = 2 ** -50;

/** Half-width of the static band that only serves to find an upper bound. */
function staticHalfWidth(n: number, m: number): number {
  const w = Math.ceil(Math.sqrt(Math.max(n, m)) / 2);
  return Math.min(32, Math.max(2, w));
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
    const upper = this.staticBandCost(ref, hyp, freeLead, freeTrail);
    return this.prunedAlign(ref, hyp, freeLead, freeTrail, upper);
  }

  private edgePath(input: ValidInput): Alignment {
    const { ref, hyp, freeLead, freeTrail } = input;
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
      const trailStart = m - freeTrail;
      for (let j = 0; j < m; j++) {
        cost += j < freeLead || j >= trailStart ? 0 : this.table.insert;
        ops[j] = EditOp.Insert;
        refIndex[j] = -1;
        hypIndex[j] = j;
      }
    }
    return { ops, refIndex, hypIndex, cost };
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

  /** Cost of the best path inside a static band: a real path's cost, hence >= the optimum. */
  private staticBandCost(ref: Uint32Array, hyp: Uint32Array, freeLead: number, freeTrail: number): number {
    const n = ref.length;
    const m = hyp.length;
    const { sub, elements } = this.table;
    const insert = this.table.insert;
    const del = this.table.delete;
    const trailStart = m - freeTrail;
    const w = staticHalfWidth(n, m);
    let prev = this.rowA;
    let cur = this.rowB;
    let phi = Math.min(m, Math.floor(m / n) + w);
    prev[0] = 0;
    for (let j = 1; j <= phi; j++) {
      prev[j] = (prev[j - 1] as number) + (j - 1 < freeLead || j - 1 >= trailStart ? 0 : insert);
    }
    let plo = 0;
    for (let i = 1; i <= n; i++) {
      const rb = (ref[i - 1] as number) * elements;
      const clo = Math.max(0, Math.floor((i * m) / n) - w);
      const chi = Math.min(m, Math.floor(((i + 1) * m) / n) + w);
      for (let j = clo; j <= chi; j++) {
        let best = Number.POSITIVE_INFINITY;
        if (j > plo && j - 1 <= phi) best = (prev[j - 1] as number) + (sub[rb + (hyp[j - 1] as number)] as number);
        if (j <= phi) {
          const d = (prev[j] as number) + del;
          if (d < best) best = d;
        }
        if (j > clo) {
          const x = (cur[j - 1] as number) + (j - 1 < freeLead || j - 1 >= trailStart ? 0 : insert);
          if (x < best) best = x;
        }
        cur[j] = best;
      }
      const t = prev;
      prev = cur;
      cur = t;
      plo = clo;
      phi = chi;
    }
    return prev[m] as number;
  }

  private growDirs(needed: number): void {
    if (needed > MAX_BAND_CELLS) {
      throw new AlignerInputError(
        AlignerErrorCode.TooLarge,
        `alignment needs more than ${MAX_BAND_CELLS} band cells; split the input into shorter phrases`,
      );
    }
    if (needed > this.dirs.length) {
      const grown = new Uint8Array(Math.min(MAX_BAND_CELLS, Math.max(needed, this.dirs.length * 2)));
      grown.set(this.dirs);
      this.dirs = grown;
    }
  }

  /** Row-by-row DP keeping cells whose value + lower bound on the rest is <= upper (+ slack). */
  private prunedAlign(
    ref: Uint32Array,
    hyp: Uint32Array,
    freeLead: number,
    freeTrail: number,
    upper: number,
  ): Alignment {
    const n = ref.length;
    const m = hyp.length;
    const { sub, elements } = this.table;
    const insert = this.table.insert;
    const del = this.table.delete;
    const trailStart = m - freeTrail;
    const limit = upper + upper * ((n + m + 4) * SLACK_PER_TERM);
    const inf = Number.POSITIVE_INFINITY;
    const rowLo = this.rowLo;
    const rowStart = this.rowStart;
    // Lower bound on the cost from (i,j) to (n,m): the surplus of one side must be deleted or
    // inserted, and padding columns still ahead may absorb insertions for free.
    const rest = (i: number, j: number): number => {
      const d = m - j - (n - i);
      if (d <= 0) return -d * del;
      const free = Math.min(m - j, freeTrail) + (freeLead > j ? freeLead - j : 0);
      return d > free ? (d - free) * insert : 0;
    };

    let prev = this.rowA;
    let cur = this.rowB;
    prev[0] = 0;
    let phi = 0;
    for (let j = 1; j <= m; j++) {
      const v = (prev[j - 1] as number) + (j - 1 < freeLead || j - 1 >= trailStart ? 0 : insert);
      if (v + rest(0, j) > limit) break;
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
      let first = -1;
      let last = -1;
      // j = plo: only the deletion from (i-1, plo) is inside the band.
      let v = (prev[plo] as number) + del;
      if (v + rest(i, plo) <= limit) {
        cur[plo] = v;
        first = plo;
        last = plo;
      } else cur[plo] = inf;
      dirs[pos++] = DEL;
      for (let j = plo + 1; j <= phi; j++) {
        let best = (prev[j - 1] as number) + (sub[rb + (hyp[j - 1] as number)] as number);
        let dir = DIAG;
        const d = (prev[j] as number) + del;
        if (d < best) {
          best = d;
          dir = DEL;
        }
        const x = (cur[j - 1] as number) + (j - 1 < freeLead || j - 1 >= trailStart ? 0 : insert);
        if (x < best) {
          best = x;
          dir = INS;
        }
        if (best + rest(i, j) <= limit) {
          cur[j] = best;
          if (first < 0) first = j;
          last = j;
        } else cur[j] = inf;
        dirs[pos++] = dir;
      }
      if (phi < m) {
        const j = phi + 1;
        let best = (prev[phi] as number) + (sub[rb + (hyp[phi] as number)] as number);
        let dir = DIAG;
        const x = (cur[phi] as number) + (phi < freeLead || phi >= trailStart ? 0 : insert);
        if (x < best) {
          best = x;
          dir = INS;
        }
        if (best + rest(i, j) <= limit) {
          cur[j] = best;
          if (first < 0) first = j;
          last = j;
        } else cur[j] = inf;
        dirs[pos++] = dir;
        // Beyond the previous row's band only insertions along this row can reach a cell.
        for (let k = j + 1; k <= m && last === k - 1; k++) {
          v = (cur[k - 1] as number) + (k - 1 < freeLead || k - 1 >= trailStart ? 0 : insert);
          if (v + rest(i, k) > limit) break;
          cur[k] = v;
          last = k;
          dirs[pos++] = INS;
        }
      }
      if (first < 0) throw new Error(`aligner: band emptied at row ${i} (bound ${upper}); this is a bug`);
      const t = prev;
      prev = cur;
      cur = t;
      plo = first;
      phi = last;
    }
    if (phi !== m) throw new Error(`aligner: end cell left the band (bound ${upper}); this is a bug`);
    this.lastSearch = { upper, cells: pos };
    return this.traceback(ref, hyp, prev[m] as number);
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
