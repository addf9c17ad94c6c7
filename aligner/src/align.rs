//! Exact global weighted edit distance between a phrase's items (`ref`) and heard elements
//! (`hyp`), the Rust twin of `aligner/ts/phraseAligner.ts` (same recurrence, tie-break, pruning
//! and addition order, so both produce bit-identical costs and identical paths).
//!
//! D[0][0]=0; D[i][j] = min(diag D[i-1][j-1]+sub, del D[i-1][j]+delete, ins D[i][j-1]+insCost(j-1));
//! each cell keeps the first of diag, del, ins that is strictly below the ones before it.
//! insCost(k) is 0 for padding, else the input's per-element insertion cost, else `table.insert`.
//! Search: a static band gives an upper bound U; the DP then keeps, row by row, only the cells
//! whose value plus a lower bound on the remaining cost is <= U (+ float slack). Every cell of the
//! full DP's traceback path passes that test, so the result equals the full DP (see README.md).

/// Largest accepted cost (keeps every path sum finite).
pub const MAX_COST: f64 = 1e15;
/// Longest accepted ref or hyp.
pub const MAX_SEQUENCE_LENGTH: usize = 1 << 24;
/// Most direction bytes one alignment may store.
pub const MAX_BAND_CELLS: usize = 1 << 28;

/// EditOp values (Match/Accept/Substitute equal the PairKind of a diagonal step).
pub const OP_DELETE: u8 = 3;
pub const OP_INSERT: u8 = 4;

const DIAG: u8 = 0;
const DEL: u8 = 1;
const INS: u8 = 2;
/// Up to this many cells (a typical 8-item phrase has ~100) the plain full DP is cheaper than
/// finding a bound and pruning; it is the specification itself, so results are unchanged.
const FULL_DP_CELLS: usize = 512;
/// Below this length the bound is guessed (and doubled on failure) instead of computed.
const GUESS_BELOW: usize = 256;
/// Relative float slack of the pruning threshold: 8 units of roundoff per summed term.
const SLACK_PER_TERM: f64 = 1.0 / (1u64 << 50) as f64;

/// A rejected table or input; `code` matches AlignerErrorCode in aligner/errors.ts.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignError {
    pub code: &'static str,
    pub message: String,
}

impl AlignError {
    fn new(code: &'static str, message: String) -> Self {
        AlignError { code, message }
    }
}

/// The minimum-cost path, steps in path order.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    pub ops: Vec<u8>,
    pub ref_index: Vec<i32>,
    pub hyp_index: Vec<i32>,
    pub cost: f64,
}

/// A validated cost table (row-major `[item * elements + element]`).
#[derive(Debug, Clone)]
pub struct Table {
    pub items: usize,
    pub elements: usize,
    sub: Vec<f64>,
    kind: Vec<u8>,
    pub insert: f64,
    pub delete: f64,
}

/// JavaScript's spelling of a number, so messages match the TypeScript backend.
fn js_number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        format!("{v}")
    }
}

fn check_cost(name: &str, v: f64) -> Result<f64, AlignError> {
    if v.is_nan() {
        return Err(AlignError::new("invalid-cost", format!("{name} is NaN; costs must be finite numbers >= 0")));
    }
    if !(0.0..=MAX_COST).contains(&v) {
        return Err(AlignError::new(
            "invalid-cost",
            format!("{name} is {}; costs must be finite, >= 0 and <= {}", js_number(v), MAX_COST as u64),
        ));
    }
    Ok(v + 0.0)
}

impl Table {
    /// Validates sizes, costs and kinds and copies them (-0 normalised to 0).
    pub fn new(
        items: usize,
        elements: usize,
        sub: &[f64],
        kind: &[u8],
        insert: f64,
        delete: f64,
    ) -> Result<Table, AlignError> {
        let cells = items.checked_mul(elements).ok_or_else(|| {
            AlignError::new("invalid-table-size", format!("items*elements = {items}*{elements} overflows"))
        })?;
        if sub.len() != cells {
            return Err(AlignError::new(
                "invalid-table-size",
                format!("table.sub has {} costs; expected items*elements = {items}*{elements} = {cells}", sub.len()),
            ));
        }
        if kind.len() != cells {
            return Err(AlignError::new(
                "invalid-table-size",
                format!(
                    "table.kind has {} entries; expected items*elements = {items}*{elements} = {cells}",
                    kind.len()
                ),
            ));
        }
        let mut sub_copy = Vec::new();
        sub_copy.try_reserve_exact(cells).map_err(|_| too_large("table.sub"))?;
        for (k, &c) in sub.iter().enumerate() {
            let item = k / elements.max(1);
            sub_copy.push(check_cost(&format!("table.sub[{k}] (item {item}, element {})", k - item * elements), c)?);
        }
        for (k, &pk) in kind.iter().enumerate() {
            if pk > 2 {
                let item = k / elements.max(1);
                return Err(AlignError::new(
                    "invalid-kind",
                    format!(
                        "table.kind[{k}] (item {item}, element {}) is {pk}; expected 0 (Canonical), 1 (Accepted) or 2 (Other)",
                        k - item * elements
                    ),
                ));
            }
        }
        let mut kind_copy = Vec::new();
        kind_copy.try_reserve_exact(cells).map_err(|_| too_large("table.kind"))?;
        kind_copy.extend_from_slice(kind);
        Ok(Table {
            items,
            elements,
            sub: sub_copy,
            kind: kind_copy,
            insert: check_cost("table.insert", insert)?,
            delete: check_cost("table.delete", delete)?,
        })
    }

    /// Checks one request without per-element insertion costs (see `check_input_with`).
    pub fn check_input(&self, r: &[u32], h: &[u32], free_lead: u64, free_trail: u64) -> Result<(), AlignError> {
        self.check_input_with(r, h, free_lead, free_trail, None)
    }

    /// Checks one request: ids in range, padding within hyp, lengths within limits, and the
    /// optional per-element insertion costs (hyp.length of them, each finite, >= 0, <= MAX_COST).
    pub fn check_input_with(
        &self,
        r: &[u32],
        h: &[u32],
        free_lead: u64,
        free_trail: u64,
        insert_cost: Option<&[f64]>,
    ) -> Result<(), AlignError> {
        check_sequence("ref", r, self.items, "item")?;
        check_sequence("hyp", h, self.elements, "element")?;
        if free_lead.saturating_add(free_trail) > h.len() as u64 {
            return Err(AlignError::new(
                "invalid-padding",
                format!("input.freeLead + input.freeTrail = {free_lead} + {free_trail} exceeds hyp.length {}", h.len()),
            ));
        }
        if let Some(costs) = insert_cost {
            if costs.len() != h.len() {
                return Err(AlignError::new(
                    "invalid-sequence",
                    format!("input.insertCost has {} costs; expected hyp.length = {}", costs.len(), h.len()),
                ));
            }
            for (k, &c) in costs.iter().enumerate() {
                check_cost(&format!("input.insertCost[{k}]"), c)?;
            }
        }
        Ok(())
    }
}

fn too_large(what: &str) -> AlignError {
    AlignError::new("too-large", format!("{what}: not enough memory"))
}

fn check_sequence(name: &str, seq: &[u32], limit: usize, what: &str) -> Result<(), AlignError> {
    if seq.len() > MAX_SEQUENCE_LENGTH {
        return Err(AlignError::new(
            "too-large",
            format!("input.{name} has {} symbols; at most {MAX_SEQUENCE_LENGTH} are accepted", seq.len()),
        ));
    }
    if let Some(k) = seq.iter().position(|&id| id as usize >= limit) {
        return Err(AlignError::new(
            "id-out-of-range",
            format!(
                "input.{name}[{k}] is {what} id {}; the table has {limit} {what}s (ids 0..{})",
                seq[k],
                limit as i64 - 1
            ),
        ));
    }
    Ok(())
}

/// Buffers reused across alignments (one per thread); no per-cell allocation.
#[derive(Default)]
pub struct Workspace {
    row_a: Vec<f64>,
    row_b: Vec<f64>,
    dirs: Vec<u8>,
    row_lo: Vec<usize>,
    row_start: Vec<usize>,
    /// Per column: insertion cost of hyp[k] (0 in padding); padding columns at or after j; the
    /// cheapest non-padding insertion at or after j (0 if none; both for the bound `rest`).
    col_ins: Vec<f64>,
    col_free: Vec<f64>,
    col_min: Vec<f64>,
    /// Dearest non-padding insertion of the current input (0 if none; for the guessed bound).
    max_ins: f64,
    /// Direction bytes stored by the last banded alignment (benchmark statistic).
    pub last_cells: usize,
    /// The last path, reversed (end to start).
    step_op: Vec<u8>,
    step_ref: Vec<i32>,
    step_hyp: Vec<i32>,
}

fn grow<T: Copy + Default>(v: &mut Vec<T>, len: usize) -> Result<(), AlignError> {
    if v.len() < len {
        v.try_reserve(len - v.len()).map_err(|_| too_large("alignment buffers"))?;
        v.resize(len, T::default());
    }
    Ok(())
}

/// Lower bound on the cost from a cell to (n,m), given d = (m-j)-(n-i), the padding columns still
/// ahead and the cheapest insertion among the other columns ahead: a surplus of items must be
/// deleted, a surplus of elements inserted (padding free, every other one at least `ins`).
#[inline(always)]
fn rest(d: f64, free: f64, ins: f64, del: f64) -> f64 {
    let a = (d - free) * ins;
    let b = -d * del;
    let r = if a > b { a } else { b };
    if r > 0.0 {
        r
    } else {
        0.0
    }
}

/// min of two non-NaN values (all DP values are finite).
#[inline(always)]
fn fmin(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// Half-width of the adaptive band that only serves to find an upper bound.
fn band_half_width(n: usize, m: usize) -> usize {
    if n.max(m) < 256 {
        2
    } else {
        8
    }
}

impl Workspace {
    pub fn new() -> Self {
        Self::default()
    }

    /// Steps of the last path in path order (copies out of the reversed buffers).
    pub fn steps(&self) -> usize {
        self.step_op.len()
    }

    /// Writes the last path in path order into the three output slices (each `steps()` long).
    pub fn write_path(&self, ops: &mut [u8], ref_index: &mut [i32], hyp_index: &mut [i32]) {
        let len = self.step_op.len();
        for s in 0..len.min(ops.len()).min(ref_index.len()).min(hyp_index.len()) {
            let r = len - 1 - s;
            ops[s] = self.step_op[r];
            ref_index[s] = self.step_ref[r];
            hyp_index[s] = self.step_hyp[r];
        }
    }

    /// Writes the last path in path order as bytes: refIndex i32[len] | hypIndex i32[len] | ops u8[len]
    /// (native endian), `bytes` being exactly 9*len long.
    pub fn write_path_bytes(&self, bytes: &mut [u8], len: usize) {
        let (refs, rest) = bytes.split_at_mut(4 * len);
        let (hyps, ops) = rest.split_at_mut(4 * len);
        for s in 0..len.min(self.step_op.len()) {
            let r = len - 1 - s;
            refs[4 * s..4 * s + 4].copy_from_slice(&self.step_ref[r].to_ne_bytes());
            hyps[4 * s..4 * s + 4].copy_from_slice(&self.step_hyp[r].to_ne_bytes());
            ops[s] = self.step_op[r];
        }
    }

    /// Validates and aligns with `table.insert` for every element (see `align_with`).
    pub fn align(
        &mut self,
        t: &Table,
        r: &[u32],
        h: &[u32],
        free_lead: u64,
        free_trail: u64,
    ) -> Result<Alignment, AlignError> {
        self.align_with(t, r, h, free_lead, free_trail, None)
    }

    /// Validates and aligns, returning an owned Alignment (convenient for tests and Rust callers);
    /// `insert_cost`, when given, is the insertion cost of each hyp element (padding stays free).
    pub fn align_with(
        &mut self,
        t: &Table,
        r: &[u32],
        h: &[u32],
        free_lead: u64,
        free_trail: u64,
        insert_cost: Option<&[f64]>,
    ) -> Result<Alignment, AlignError> {
        t.check_input_with(r, h, free_lead, free_trail, insert_cost)?;
        let cost = self.align_checked_with(t, r, h, free_lead as usize, free_trail as usize, insert_cost)?;
        let len = self.steps();
        let mut out = Alignment { ops: vec![0; len], ref_index: vec![0; len], hyp_index: vec![0; len], cost };
        self.write_path(&mut out.ops, &mut out.ref_index, &mut out.hyp_index);
        Ok(out)
    }

    /// `align_checked_with` without per-element insertion costs.
    pub fn align_checked(
        &mut self,
        t: &Table,
        r: &[u32],
        h: &[u32],
        free_lead: usize,
        free_trail: usize,
    ) -> Result<f64, AlignError> {
        self.align_checked_with(t, r, h, free_lead, free_trail, None)
    }

    /// Aligns an input already accepted by `Table::check_input_with`; the path is left in the buffers.
    pub fn align_checked_with(
        &mut self,
        t: &Table,
        r: &[u32],
        h: &[u32],
        free_lead: usize,
        free_trail: usize,
        insert_cost: Option<&[f64]>,
    ) -> Result<f64, AlignError> {
        let n = r.len();
        let m = h.len();
        self.step_op.clear();
        self.step_ref.clear();
        self.step_hyp.clear();
        self.step_op.try_reserve(n + m).map_err(|_| too_large("alignment path"))?;
        self.step_ref.try_reserve(n + m).map_err(|_| too_large("alignment path"))?;
        self.step_hyp.try_reserve(n + m).map_err(|_| too_large("alignment path"))?;
        let e = t.elements;
        self.prepare_columns(t, m, free_lead, free_trail, insert_cost)?;
        if n == 0 || m == 0 {
            let mut cost = 0.0;
            if m == 0 {
                for i in 0..n {
                    cost += t.delete;
                    self.push(OP_DELETE, i as i32, -1);
                }
            } else {
                for j in 0..m {
                    cost += self.col_ins[j];
                    self.push(OP_INSERT, -1, j as i32);
                }
            }
            self.reverse_steps();
            return Ok(cost);
        }
        if n == m && r.iter().zip(h).all(|(&a, &b)| t.sub[a as usize * e + b as usize] == 0.0) {
            // Every diagonal step costs 0, so each cell (i,i) is reached by the preferred diagonal.
            let mut cost = 0.0;
            for i in 0..n {
                let pair = r[i] as usize * e + h[i] as usize;
                cost += t.sub[pair];
                self.push(t.kind[pair], i as i32, i as i32);
            }
            self.reverse_steps();
            return Ok(cost);
        }
        grow(&mut self.row_a, m + 1)?;
        grow(&mut self.row_b, m + 1)?;
        grow(&mut self.row_lo, n + 1)?;
        grow(&mut self.row_start, n + 1)?;
        let cost = if (n + 1) * (m + 1) <= FULL_DP_CELLS {
            self.full(t, r, h)?
        } else if n.max(m) < GUESS_BELOW {
            self.guessed(t, r, h, free_lead + free_trail)?
        } else {
            let upper = self.band_upper_bound(t, r, h);
            self.pruned(t, r, h, upper)?
        };
        self.traceback(t, r, h)?;
        Ok(cost)
    }

    /// Fills the per-column insertion costs (padding free, else `insert_cost` or `table.insert`),
    /// the padding columns ahead of each column and the cheapest non-padding insertion ahead
    /// (for the lower bound `rest`), and the dearest one (for the guessed bound).
    fn prepare_columns(
        &mut self,
        t: &Table,
        m: usize,
        free_lead: usize,
        free_trail: usize,
        insert_cost: Option<&[f64]>,
    ) -> Result<(), AlignError> {
        grow(&mut self.col_ins, m)?;
        grow(&mut self.col_free, m + 1)?;
        grow(&mut self.col_min, m + 1)?;
        let trail_start = m - free_trail;
        let free = |k: usize| k < free_lead || k >= trail_start;
        let mut max = 0.0f64;
        for k in 0..m {
            let c = if free(k) {
                0.0
            } else {
                match insert_cost {
                    Some(costs) => costs[k] + 0.0, // -0 -> +0
                    None => t.insert,
                }
            };
            self.col_ins[k] = c;
            if !free(k) && c > max {
                max = c;
            }
        }
        self.max_ins = max;
        let mut min = f64::INFINITY;
        self.col_min[m] = 0.0;
        for j in (0..m).rev() {
            if !free(j) && self.col_ins[j] < min {
                min = self.col_ins[j];
            }
            self.col_min[j] = if min == f64::INFINITY { 0.0 } else { min };
        }
        for j in 0..=m {
            self.col_free[j] = ((m - j).min(free_trail) + free_lead.saturating_sub(j)) as f64;
        }
        Ok(())
    }

    fn push(&mut self, op: u8, ri: i32, hi: i32) {
        self.step_op.push(op);
        self.step_ref.push(ri);
        self.step_hyp.push(hi);
    }

    /// Trivial paths are built forwards; store them reversed like a traceback.
    fn reverse_steps(&mut self) {
        self.step_op.reverse();
        self.step_ref.reverse();
        self.step_hyp.reverse();
    }

    /// Cost of the best path inside an adaptive band (each row centred on the previous row's
    /// cheapest cell): a real path's cost, hence an upper bound on the optimum.
    fn band_upper_bound(&mut self, t: &Table, r: &[u32], h: &[u32]) -> f64 {
        let n = r.len();
        let m = h.len();
        let e = t.elements;
        let del = t.delete;
        let col_ins = &self.col_ins;
        let ins_cost = |k: usize| col_ins[k];
        let w = band_half_width(n, m);
        let mut prev = &mut self.row_a;
        let mut cur = &mut self.row_b;
        let mut phi = if n == 1 { m } else { m.min(w) };
        prev[0] = 0.0;
        let mut centre = 0usize;
        for j in 1..=phi {
            prev[j] = prev[j - 1] + ins_cost(j - 1);
            if prev[j] < prev[centre] {
                centre = j;
            }
        }
        let mut plo = 0usize;
        for i in 1..=n {
            let sub_row = &t.sub[r[i - 1] as usize * e..r[i - 1] as usize * e + e];
            // plo <= clo <= phi keeps the band connected; the last row reaches column m.
            let clo = centre.saturating_sub(w).clamp(plo, phi);
            let chi = if i == n { m } else { m.min((centre + w + 1).max(clo)) };
            // j = clo: deletion from (i-1, clo), and the diagonal when (i-1, clo-1) is in band.
            let mut left = prev[clo] + del;
            if clo > plo {
                let dg = prev[clo - 1] + sub_row[h[clo - 1] as usize];
                if !(left < dg) {
                    left = dg;
                }
            }
            cur[clo] = left;
            let (mut best_j, mut best_v) = (clo, left);
            let mid = phi.min(chi);
            for j in clo + 1..=mid {
                let mut v = prev[j - 1] + sub_row[h[j - 1] as usize];
                let dl = prev[j] + del;
                if dl < v {
                    v = dl;
                }
                let x = left + ins_cost(j - 1);
                if x < v {
                    v = x;
                }
                cur[j] = v;
                left = v;
                if v < best_v {
                    best_v = v;
                    best_j = j;
                }
            }
            for j in mid + 1..=chi {
                // Past the previous row's band: the diagonal from (i-1, phi), then insertions.
                let mut v = left + ins_cost(j - 1);
                if j == phi + 1 {
                    let dg = prev[phi] + sub_row[h[phi] as usize];
                    if !(v < dg) {
                        v = dg;
                    }
                }
                cur[j] = v;
                left = v;
                if v < best_v {
                    best_v = v;
                    best_j = j;
                }
            }
            std::mem::swap(&mut prev, &mut cur);
            plo = clo;
            phi = chi;
            centre = best_j;
        }
        prev[m]
    }

    /// Short inputs: guess a bound instead of computing one. A guess below the optimum only
    /// makes the pruned pass fail, and it is retried with twice the bound, capped by the cost of
    /// deleting every item then inserting every element (a real path, so always enough).
    fn guessed(&mut self, t: &Table, r: &[u32], h: &[u32], padding: usize) -> Result<f64, AlignError> {
        let (n, m) = (r.len(), h.len());
        let trivial = {
            let mut c = 0.0;
            for _ in 0..n {
                c += t.delete;
            }
            for k in 0..m {
                c += self.col_ins[k];
            }
            c
        };
        // unit > 0 whenever trivial > 0, so doubling reaches trivial.
        let unit = self.max_ins.max(t.delete);
        let mut guess = rest(m as f64 - n as f64, padding as f64, self.col_min[0], t.delete)
            + unit * ((n + m) as f64 / 16.0).ceil();
        loop {
            if guess >= trivial {
                return self.pruned(t, r, h, trivial);
            }
            if let Some(cost) = self.pruned_try(t, r, h, guess)? {
                return Ok(cost);
            }
            guess *= 2.0;
        }
    }

    /// The pruned DP with an upper bound on the optimum (so it cannot fail).
    fn pruned(&mut self, t: &Table, r: &[u32], h: &[u32], upper: f64) -> Result<f64, AlignError> {
        self.pruned_try(t, r, h, upper)?.ok_or_else(|| {
            AlignError::new("internal", format!("the band lost the optimal path (bound {upper}); this is a bug"))
        })
    }

    /// The pruned DP with an arbitrary bound: Ok(None) when the optimum is above it.
    fn pruned_try(&mut self, t: &Table, r: &[u32], h: &[u32], upper: f64) -> Result<Option<f64>, AlignError> {
        let n = r.len();
        let m = h.len();
        let e = t.elements;
        let del = t.delete;
        let limit = upper + upper * ((n + m + 4) as f64 * SLACK_PER_TERM);
        let Workspace { row_a, row_b, dirs, row_lo, row_start, col_ins, col_free, col_min, last_cells, .. } = self;
        let (col_ins, col_free, col_min) = (&col_ins[..m], &col_free[..=m], &col_min[..=m]);
        // d = (m - j) - (n - i) = nm + i - j.
        let nm = m as f64 - n as f64;
        let mut prev: &mut Vec<f64> = row_a;
        let mut cur: &mut Vec<f64> = row_b;
        prev[0] = 0.0;
        let mut phi = 0usize;
        for j in 1..=m {
            let v = prev[j - 1] + col_ins[j - 1];
            if v + rest(nm - j as f64, col_free[j], col_min[j], del) > limit {
                break;
            }
            prev[j] = v;
            phi = j;
        }
        let mut plo = 0usize;
        let mut pos = 0usize;
        for i in 1..=n {
            let row = r[i - 1] as usize * e;
            let sub_row = &t.sub[row..row + e];
            let need = pos + (m - plo + 1);
            if need > MAX_BAND_CELLS {
                return Err(AlignError::new(
                    "too-large",
                    format!(
                        "alignment needs more than {MAX_BAND_CELLS} band cells; split the input into shorter phrases"
                    ),
                ));
            }
            if dirs.len() < need {
                let target = need.max(dirs.len() * 2).min(MAX_BAND_CELLS);
                grow(dirs, target)?;
            }
            row_lo[i] = plo;
            row_start[i] = pos;
            let d0 = nm + i as f64; // d at j = 0
            let live = |v: f64, j: usize| v + rest(d0 - j as f64, col_free[j], col_min[j], del) <= limit;
            // j = plo: only the deletion from (i-1, plo) is inside the band. Cells that fail the
            // bound keep their (real-path) value; the bound only decides how far the band reaches.
            let mut left = prev[plo] + del;
            cur[plo] = left;
            dirs[pos] = DEL;
            pos += 1;
            let span = phi - plo;
            {
                let prev_s = &prev[plo..=phi];
                let h_s = &h[plo..phi];
                let ins_s = &col_ins[plo..phi];
                let cur_s = &mut cur[plo + 1..=phi];
                let dir_s = &mut dirs[pos..pos + span];
                // Blocks of 4 cells. Sequentially each cell waits for its left neighbour
                // (L[q] = min(t[q], L[q-1] + c[q]): an add and a min per cell). Rounding is
                // monotone, so fl(min(a,b) + c) = min(fl(a+c), fl(b+c)) exactly, and
                // L[q] = min(e[q], p[q]) where e[q] = min(t[q], e[q-1] + c[q]) ignores `left`
                // and p[q] = left + c[0] + ... + c[q] (the same additions, in the same order).
                // Only the p chain depends on the previous block: 4 adds + 1 min per 4 cells.
                let mut k = 0;
                while k + 4 <= span {
                    let mut t = [0.0f64; 4];
                    let mut dt = [DIAG; 4];
                    for q in 0..4 {
                        let id = h_s[k + q] as usize;
                        debug_assert!(id < e);
                        // SAFETY: every hyp id was checked against `elements` by Table::check_input.
                        let s = unsafe { *sub_row.get_unchecked(id) };
                        let dg = prev_s[k + q] + s;
                        let dl = prev_s[k + q + 1] + del;
                        if dl < dg {
                            t[q] = dl;
                            dt[q] = DEL;
                        } else {
                            t[q] = dg;
                        }
                    }
                    let c = [ins_s[k], ins_s[k + 1], ins_s[k + 2], ins_s[k + 3]];
                    let e1 = fmin(t[1], t[0] + c[1]);
                    let e2 = fmin(t[2], e1 + c[2]);
                    let e3 = fmin(t[3], e2 + c[3]);
                    let p0 = left + c[0];
                    let p1 = p0 + c[1];
                    let p2 = p1 + c[2];
                    let p3 = p2 + c[3];
                    let l0 = fmin(t[0], p0);
                    let l1 = fmin(e1, p1);
                    let l2 = fmin(e2, p2);
                    let l3 = fmin(e3, p3);
                    cur_s[k] = l0;
                    cur_s[k + 1] = l1;
                    cur_s[k + 2] = l2;
                    cur_s[k + 3] = l3;
                    // A cell's step is an insertion when left neighbour + c is strictly below
                    // the diagonal/deletion candidate, exactly as in the scalar loop.
                    dir_s[k] = if p0 < t[0] { INS } else { dt[0] };
                    dir_s[k + 1] = if l0 + c[1] < t[1] { INS } else { dt[1] };
                    dir_s[k + 2] = if l1 + c[2] < t[2] { INS } else { dt[2] };
                    dir_s[k + 3] = if l2 + c[3] < t[3] { INS } else { dt[3] };
                    left = l3;
                    k += 4;
                }
                for k in k..span {
                    let id = h_s[k] as usize;
                    debug_assert!(id < e);
                    // SAFETY: every hyp id was checked against `elements` by Table::check_input.
                    let s = unsafe { *sub_row.get_unchecked(id) };
                    let mut best = prev_s[k] + s;
                    let mut dir = DIAG;
                    let dl = prev_s[k + 1] + del;
                    if dl < best {
                        best = dl;
                        dir = DEL;
                    }
                    let x = left + ins_s[k];
                    if x < best {
                        best = x;
                        dir = INS;
                    }
                    cur_s[k] = best;
                    dir_s[k] = dir;
                    left = best;
                }
                pos += span;
            }
            let mut end = phi;
            if phi < m {
                let j = phi + 1;
                let mut best = prev[phi] + sub_row[h[phi] as usize];
                let mut dir = DIAG;
                let x = left + col_ins[phi];
                if x < best {
                    best = x;
                    dir = INS;
                }
                cur[j] = best;
                dirs[pos] = dir;
                pos += 1;
                end = j;
            }
            // The next row's band: from the first to the last cell that passes the bound.
            let mut first = usize::MAX;
            let mut last = 0usize;
            if let Some(f) = (plo..=end).find(|&j| live(cur[j], j)) {
                first = f;
                last = (f..=end).rev().find(|&j| live(cur[j], j)).unwrap_or(f);
            }
            if last == end && end == phi + 1 {
                // Beyond the previous row's band only insertions along this row reach a cell.
                let mut k = end + 1;
                while k <= m {
                    let v = cur[k - 1] + col_ins[k - 1];
                    if !live(v, k) {
                        break;
                    }
                    cur[k] = v;
                    last = k;
                    dirs[pos] = INS;
                    pos += 1;
                    k += 1;
                }
            }
            if first == usize::MAX {
                return Ok(None);
            }
            std::mem::swap(&mut prev, &mut cur);
            plo = first;
            phi = last;
        }
        // Exact only if the optimum is within the bound itself (not just within the slack).
        if phi != m || !(prev[m] <= upper) {
            return Ok(None);
        }
        *last_cells = pos;
        Ok(Some(prev[m]))
    }

    /// The full DP over all (n+1)*(m+1) cells (small inputs only).
    fn full(&mut self, t: &Table, r: &[u32], h: &[u32]) -> Result<f64, AlignError> {
        let n = r.len();
        let m = h.len();
        let e = t.elements;
        let del = t.delete;
        let w = m + 1;
        grow(&mut self.dirs, (n + 1) * w)?;
        let Workspace { row_a, row_b, dirs, row_lo, row_start, col_ins, .. } = self;
        let ins_cost = |k: usize| col_ins[k];
        let mut prev: &mut Vec<f64> = row_a;
        let mut cur: &mut Vec<f64> = row_b;
        prev[0] = 0.0;
        for j in 1..=m {
            prev[j] = prev[j - 1] + ins_cost(j - 1);
        }
        for i in 1..=n {
            let row = r[i - 1] as usize * e;
            let sub_row = &t.sub[row..row + e];
            let dir_row = &mut dirs[i * w..i * w + w];
            row_lo[i] = 0;
            row_start[i] = i * w;
            let mut left = prev[0] + del;
            cur[0] = left;
            dir_row[0] = DEL;
            for j in 1..=m {
                let mut best = prev[j - 1] + sub_row[h[j - 1] as usize];
                let mut dir = DIAG;
                let dl = prev[j] + del;
                if dl < best {
                    best = dl;
                    dir = DEL;
                }
                let x = left + ins_cost(j - 1);
                if x < best {
                    best = x;
                    dir = INS;
                }
                cur[j] = best;
                dir_row[j] = dir;
                left = best;
            }
            std::mem::swap(&mut prev, &mut cur);
        }
        self.last_cells = (n + 1) * w;
        Ok(prev[m])
    }

    /// Follows the stored directions back from (n, m). Checked indexing: a bug surfaces as an
    /// "internal" error, never as a panic (which would abort the node process).
    fn traceback(&mut self, t: &Table, r: &[u32], h: &[u32]) -> Result<(), AlignError> {
        let e = t.elements;
        let mut i = r.len();
        let mut j = h.len();
        let lost = || AlignError::new("internal", "traceback left the stored band; this is a bug".into());
        while i > 0 {
            let at = j.checked_sub(self.row_lo[i]).map(|off| self.row_start[i] + off).ok_or_else(lost)?;
            let dir = *self.dirs.get(at).ok_or_else(lost)?;
            if dir == DIAG && j == 0 {
                return Err(lost());
            }
            if dir == DIAG {
                i -= 1;
                j -= 1;
                let op = t.kind[r[i] as usize * e + h[j] as usize];
                self.push(op, i as i32, j as i32);
            } else if dir == DEL {
                i -= 1;
                self.push(OP_DELETE, i as i32, -1);
            } else {
                j -= 1;
                self.push(OP_INSERT, -1, j as i32);
            }
        }
        while j > 0 {
            j -= 1;
            self.push(OP_INSERT, -1, j as i32);
        }
        Ok(())
    }
}

/// The specification as a full-matrix DP (tests only): same recurrence and tie-break.
#[cfg(test)]
pub(crate) fn reference_align(
    t: &Table,
    r: &[u32],
    h: &[u32],
    free_lead: usize,
    free_trail: usize,
    insert_cost: Option<&[f64]>,
) -> Alignment {
    let (n, m) = (r.len(), h.len());
    let w = m + 1;
    let ins_cost = |k: usize| {
        if k < free_lead || k >= m - free_trail {
            0.0
        } else {
            insert_cost.map_or(t.insert, |c| c[k] + 0.0)
        }
    };
    let mut d = vec![0.0f64; (n + 1) * w];
    let mut dir = vec![0u8; (n + 1) * w];
    for j in 1..=m {
        d[j] = d[j - 1] + ins_cost(j - 1);
        dir[j] = INS;
    }
    for i in 1..=n {
        d[i * w] = d[(i - 1) * w] + t.delete;
        dir[i * w] = DEL;
        for j in 1..=m {
            let mut best = d[(i - 1) * w + j - 1] + t.sub[r[i - 1] as usize * t.elements + h[j - 1] as usize];
            let mut how = DIAG;
            let dl = d[(i - 1) * w + j] + t.delete;
            if dl < best {
                best = dl;
                how = DEL;
            }
            let x = d[i * w + j - 1] + ins_cost(j - 1);
            if x < best {
                best = x;
                how = INS;
            }
            d[i * w + j] = best;
            dir[i * w + j] = how;
        }
    }
    let (mut i, mut j) = (n, m);
    let mut out = Alignment { ops: vec![], ref_index: vec![], hyp_index: vec![], cost: d[n * w + m] };
    while i > 0 || j > 0 {
        match dir[i * w + j] {
            DIAG => {
                i -= 1;
                j -= 1;
                out.ops.push(t.kind[r[i] as usize * t.elements + h[j] as usize]);
                out.ref_index.push(i as i32);
                out.hyp_index.push(j as i32);
            }
            DEL => {
                i -= 1;
                out.ops.push(OP_DELETE);
                out.ref_index.push(i as i32);
                out.hyp_index.push(-1);
            }
            _ => {
                j -= 1;
                out.ops.push(OP_INSERT);
                out.ref_index.push(-1);
                out.hyp_index.push(j as i32);
            }
        }
    }
    out.ops.reverse();
    out.ref_index.reverse();
    out.hyp_index.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64*: deterministic randomness without crates.io.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545F4914F6CDD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn letter_table() -> Table {
        // items a_letter, b_letter, c_letter; elements a, x, bi, si
        let mut sub = vec![1.0; 12];
        let mut kind = vec![2u8; 12];
        for (item, element) in [(0, 0), (1, 2), (2, 3)] {
            sub[item * 4 + element] = 0.0;
            kind[item * 4 + element] = 0;
        }
        Table::new(3, 4, &sub, &kind, 1.0, 1.0).unwrap()
    }

    /// Per-element insertion costs for half the cases (multiples of 1/8 in 0..=3, so sums are
    /// exact; a few 0s and values far above the table's), None for the others.
    fn random_insert_cost(rng: &mut Rng, m: usize) -> Option<Vec<f64>> {
        if rng.below(2) == 0 {
            return None;
        }
        Some((0..m).map(|_| rng.below(25) as f64 / 8.0).collect())
    }

    /// A random table, ref and hyp (lengths drawn by `len`) and padding that fits the hyp.
    fn random_case(rng: &mut Rng, len: impl Fn(&mut Rng) -> usize) -> (Table, Vec<u32>, Vec<u32>, usize, usize) {
        let items = 1 + rng.below(6) as usize;
        let elements = 1 + rng.below(7) as usize;
        let t = random_table(rng, items, elements);
        let n = len(rng);
        let r: Vec<u32> = (0..n).map(|_| rng.below(items as u64) as u32).collect();
        let m = len(rng);
        let h: Vec<u32> = (0..m).map(|_| rng.below(elements as u64) as u32).collect();
        let lead = (rng.below(4) as usize).min(h.len());
        let trail = (rng.below(4) as usize).min(h.len() - lead);
        (t, r, h, lead, trail)
    }

    fn random_table(rng: &mut Rng, items: usize, elements: usize) -> Table {
        let mut sub = vec![0.0; items * elements];
        let mut kind = vec![2u8; items * elements];
        for i in 0..items {
            for e in 0..elements {
                let k = i * elements + e;
                let s = rng.below(16);
                if i == e {
                    kind[k] = 0;
                } else if s == 0 {
                    kind[k] = 1;
                } else {
                    sub[k] = if s < 6 { s as f64 / 8.0 } else { 1.0 + s as f64 * 0.37 };
                }
            }
        }
        let ins = rng.below(17) as f64 / 8.0;
        let del = rng.below(17) as f64 / 8.0;
        Table::new(items, elements, &sub, &kind, ins, del).unwrap()
    }

    #[test]
    fn golden_inserted_element_keeps_later_verdicts() {
        let t = letter_table();
        let a = Workspace::new().align(&t, &[0, 1, 2], &[0, 1, 2, 3], 0, 0).unwrap();
        assert_eq!(a.ops, vec![0, OP_INSERT, 0, 0]);
        assert_eq!(a.ref_index, vec![0, -1, 1, 2]);
        assert_eq!(a.hyp_index, vec![0, 1, 2, 3]);
        assert_eq!(a.cost, 1.0);
    }

    #[test]
    fn per_element_insert_cost_decides_between_shift_and_substitutions() {
        // items a_letter, b_letter; heard x, a: two unrelated substitutions (2), or x inserted,
        // a_letter <- a (0), b_letter omitted (1): the insertion cost of x decides.
        let t = letter_table();
        let mut ws = Workspace::new();
        let a = ws.align_with(&t, &[0, 1], &[1, 0], 0, 0, Some(&[0.5, 1.0])).unwrap();
        assert_eq!(a.ops, vec![OP_INSERT, 0, OP_DELETE]);
        assert_eq!(a.cost, 1.5);
        let b = ws.align_with(&t, &[0, 1], &[1, 0], 0, 0, Some(&[1.5, 1.0])).unwrap();
        assert_eq!(b.ops, vec![2, 2]);
        assert_eq!(b.cost, 2.0);
        // padding stays free whatever its entry says
        let c = ws.align_with(&t, &[1], &[1, 2], 1, 0, Some(&[7.0, 7.0])).unwrap();
        assert_eq!(c.ops, vec![OP_INSERT, 0]);
        assert_eq!(c.cost, 0.0);
        // all-insert path sums the entries in order
        let d = ws.align_with(&t, &[], &[1, 2, 3], 0, 1, Some(&[0.25, 0.5, 9.0])).unwrap();
        assert_eq!(d.cost, 0.75);
    }

    #[test]
    fn empty_sides_and_identical_input() {
        let t = letter_table();
        let mut ws = Workspace::new();
        let a = ws.align(&t, &[], &[], 0, 0).unwrap();
        assert!(a.ops.is_empty() && a.cost == 0.0);
        let a = ws.align(&t, &[0, 1], &[], 0, 0).unwrap();
        assert_eq!(a.ops, vec![OP_DELETE, OP_DELETE]);
        assert_eq!(a.cost, 2.0);
        let a = ws.align(&t, &[], &[1, 1, 1], 1, 1).unwrap();
        assert_eq!(a.ops, vec![OP_INSERT; 3]);
        assert_eq!(a.cost, 1.0);
        let a = ws.align_with(&t, &[0, 1], &[], 0, 0, Some(&[])).unwrap();
        assert_eq!(a.cost, 2.0);
        let a = ws.align(&t, &[0, 1, 2], &[0, 2, 3], 0, 0).unwrap();
        assert_eq!(a.ops, vec![0, 0, 0]);
    }

    #[test]
    fn rejects_bad_tables_and_inputs() {
        let e = Table::new(1, 2, &[0.0, f64::NAN], &[0, 2], 1.0, 1.0).unwrap_err();
        assert_eq!(e.code, "invalid-cost");
        assert!(e.message.contains("table.sub[1]") && e.message.contains("NaN"), "{}", e.message);
        assert_eq!(Table::new(1, 2, &[0.0, -1.0], &[0, 2], 1.0, 1.0).unwrap_err().code, "invalid-cost");
        assert_eq!(Table::new(1, 2, &[0.0, 1.0], &[0, 2], f64::INFINITY, 1.0).unwrap_err().code, "invalid-cost");
        assert_eq!(Table::new(1, 2, &[0.0], &[0, 2], 1.0, 1.0).unwrap_err().code, "invalid-table-size");
        assert_eq!(Table::new(1, 2, &[0.0, 1.0], &[0, 3], 1.0, 1.0).unwrap_err().code, "invalid-kind");
        let t = letter_table();
        let mut ws = Workspace::new();
        assert_eq!(ws.align(&t, &[3], &[0], 0, 0).unwrap_err().code, "id-out-of-range");
        assert_eq!(ws.align(&t, &[0], &[4], 0, 0).unwrap_err().code, "id-out-of-range");
        assert_eq!(ws.align(&t, &[0], &[0], 1, 1).unwrap_err().code, "invalid-padding");
        assert_eq!(ws.align(&t, &[0], &[0], u64::MAX, u64::MAX).unwrap_err().code, "invalid-padding");
        let e = ws.align_with(&t, &[0], &[0, 1], 0, 0, Some(&[1.0])).unwrap_err();
        assert_eq!(e.code, "invalid-sequence");
        assert_eq!(e.message, "input.insertCost has 1 costs; expected hyp.length = 2");
        for (bad, text) in [
            (f64::NAN, "input.insertCost[1] is NaN; costs must be finite numbers >= 0"),
            (-0.5, "input.insertCost[1] is -0.5; costs must be finite, >= 0 and <= 1000000000000000"),
            (f64::INFINITY, "input.insertCost[1] is Infinity; costs must be finite, >= 0 and <= 1000000000000000"),
            (2e15, "input.insertCost[1] is 2000000000000000; costs must be finite, >= 0 and <= 1000000000000000"),
        ] {
            // checked even where the element is padding
            let e = ws.align_with(&t, &[0], &[0, 1], 0, 1, Some(&[1.0, bad])).unwrap_err();
            assert_eq!((e.code, e.message.as_str()), ("invalid-cost", text));
        }
    }

    #[test]
    fn equals_full_dp_on_random_inputs() {
        let mut rng = Rng(0x9E3779B97F4A7C15);
        let mut ws = Workspace::new();
        for round in 0..20_000 {
            let max_len = if round % 10 == 0 { 60 } else { 9 };
            let (t, r, h, lead, trail) = random_case(&mut rng, |rng| rng.below(max_len) as usize);
            let ic = random_insert_cost(&mut rng, h.len());
            let got = ws.align_with(&t, &r, &h, lead as u64, trail as u64, ic.as_deref()).unwrap();
            let want = reference_align(&t, &r, &h, lead, trail, ic.as_deref());
            assert_eq!(got, want, "r={r:?} h={h:?} lead={lead} trail={trail} insert_cost={ic:?}");
            assert_eq!(got.cost.to_bits(), want.cost.to_bits());
        }
    }

    #[test]
    fn banded_search_equals_full_dp_on_small_inputs_too() {
        // Small inputs normally take the full DP; force the bound + pruned path on them.
        let mut rng = Rng(0xD1B54A32D192ED03);
        let mut ws = Workspace::new();
        for _ in 0..20_000 {
            let (t, r, h, lead, trail) = random_case(&mut rng, |rng| 1 + rng.below(10) as usize);
            let ic = random_insert_cost(&mut rng, h.len());
            let (n, m) = (r.len(), h.len());
            ws.prepare_columns(&t, m, lead, trail, ic.as_deref()).unwrap();
            grow(&mut ws.row_a, m + 1).unwrap();
            grow(&mut ws.row_b, m + 1).unwrap();
            grow(&mut ws.row_lo, n + 1).unwrap();
            grow(&mut ws.row_start, n + 1).unwrap();
            ws.step_op.clear();
            ws.step_ref.clear();
            ws.step_hyp.clear();
            let cost = if rng.below(2) == 0 {
                let upper = ws.band_upper_bound(&t, &r, &h);
                ws.pruned(&t, &r, &h, upper).unwrap()
            } else {
                ws.guessed(&t, &r, &h, lead + trail).unwrap()
            };
            ws.traceback(&t, &r, &h).unwrap();
            let len = ws.steps();
            let mut got = Alignment { ops: vec![0; len], ref_index: vec![0; len], hyp_index: vec![0; len], cost };
            ws.write_path(&mut got.ops, &mut got.ref_index, &mut got.hyp_index);
            let want = reference_align(&t, &r, &h, lead, trail, ic.as_deref());
            assert_eq!(got, want, "r={r:?} h={h:?} lead={lead} trail={trail} insert_cost={ic:?}");
        }
    }

    #[test]
    fn a_bound_below_the_optimum_fails_and_one_above_succeeds_exactly() {
        let mut rng = Rng(0xA0761D6478BD642F);
        let mut ws = Workspace::new();
        for _ in 0..5_000 {
            let t = random_table(&mut rng, 5, 6);
            let r: Vec<u32> = (0..1 + rng.below(30)).map(|_| rng.below(5) as u32).collect();
            let h: Vec<u32> = (0..1 + rng.below(30)).map(|_| rng.below(6) as u32).collect();
            let ic = random_insert_cost(&mut rng, h.len());
            let want = reference_align(&t, &r, &h, 0, 0, ic.as_deref());
            let (n, m) = (r.len(), h.len());
            ws.prepare_columns(&t, m, 0, 0, ic.as_deref()).unwrap();
            grow(&mut ws.row_a, m + 1).unwrap();
            grow(&mut ws.row_b, m + 1).unwrap();
            grow(&mut ws.row_lo, n + 1).unwrap();
            grow(&mut ws.row_start, n + 1).unwrap();
            let bound = want.cost * (rng.below(300) as f64 / 100.0);
            match ws.pruned_try(&t, &r, &h, bound).unwrap() {
                Some(cost) => {
                    assert!(want.cost <= bound && cost == want.cost, "bound {bound} gave {cost}, want {}", want.cost);
                    ws.step_op.clear();
                    ws.step_ref.clear();
                    ws.step_hyp.clear();
                    ws.traceback(&t, &r, &h).unwrap();
                    assert_eq!(ws.steps(), want.ops.len());
                }
                None => assert!(want.cost > bound, "bound {bound} >= optimum {} but failed", want.cost),
            }
        }
    }

    #[test]
    fn equals_full_dp_on_long_edited_sequences() {
        let mut rng = Rng(42);
        let items = 30;
        let t = random_table(&mut rng, items, items);
        let mut ws = Workspace::new();
        for round in 0..20 {
            let len = 50 + rng.below(600) as usize;
            let r: Vec<u32> = (0..len).map(|_| rng.below(items as u64) as u32).collect();
            let mut h = Vec::new();
            for &s in &r {
                match rng.below(20) {
                    0 => h.push(rng.below(items as u64) as u32),
                    1 => {}
                    2 => {
                        h.push(s);
                        h.push(rng.below(items as u64) as u32);
                    }
                    _ => h.push(s),
                }
            }
            let lead = if round % 3 == 0 { 6.min(h.len()) } else { 0 };
            let trail = if round % 4 == 0 { 9.min(h.len() - lead) } else { 0 };
            // Real-valued per-element costs on every other round: the band and the bound see
            // columns of different insertion costs.
            let ic: Option<Vec<f64>> =
                (round % 2 == 1).then(|| (0..h.len()).map(|_| 0.3 + rng.below(1000) as f64 / 700.0).collect());
            let got = ws.align_with(&t, &r, &h, lead as u64, trail as u64, ic.as_deref()).unwrap();
            assert_eq!(got, reference_align(&t, &r, &h, lead, trail, ic.as_deref()));
        }
    }

    #[test]
    fn long_input_stores_only_the_band() {
        let mut rng = Rng(7);
        let items = 40;
        let sub: Vec<f64> = (0..items * items).map(|k| if k / items == k % items { 0.0 } else { 1.0 }).collect();
        let kind: Vec<u8> = sub.iter().map(|&c| if c == 0.0 { 0 } else { 2 }).collect();
        let t = Table::new(items, items, &sub, &kind, 1.0, 1.0).unwrap();
        let r: Vec<u32> = (0..5000).map(|_| rng.below(items as u64) as u32).collect();
        let mut h = r.clone();
        for k in (0..h.len()).step_by(10) {
            h[k] = rng.below(items as u64) as u32;
        }
        let mut ws = Workspace::new();
        ws.align(&t, &r, &h, 0, 0).unwrap();
        assert!(ws.dirs.len() < 5000 * 5000 / 10, "stored {} direction bytes", ws.dirs.len());
        // Varying insertion costs (0.5..1.5) keep the band narrow: the bound uses the cheapest ahead.
        let ic: Vec<f64> = (0..h.len()).map(|k| 0.5 + (k % 11) as f64 / 10.0).collect();
        let mut ws = Workspace::new();
        ws.align_with(&t, &r, &h, 0, 0, Some(&ic)).unwrap();
        assert!(ws.last_cells < 5000 * 5000 / 10, "stored {} direction bytes", ws.last_cells);
    }
}
