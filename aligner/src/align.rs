//! Exact global weighted edit distance between a phrase's items (`ref`) and heard elements
//! (`hyp`), the Rust twin of `aligner/ts/phraseAligner.ts` (same recurrence, tie-break, pruning
//! and addition order, so both produce bit-identical costs and identical paths).
//!
//! D[0][0]=0; D[i][j] = min(diag D[i-1][j-1]+sub, del D[i-1][j]+delete, ins D[i][j-1]+insCost(j-1));
//! each cell keeps the first of diag, del, ins that is strictly below the ones before it.
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
        if v > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else {
        format!("{v}")
    }
}

fn check_cost(name: &str, v: f64) -> Result<f64, AlignError> {
    if v.is_nan() {
        return Err(AlignError::new(
            "invalid-cost",
            format!("{name} is NaN; costs must be finite numbers >= 0"),
        ));
    }
    if !(v >= 0.0 && v <= MAX_COST) {
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
                format!("table.kind has {} entries; expected items*elements = {items}*{elements} = {cells}", kind.len()),
            ));
        }
        let mut sub_copy = Vec::new();
        sub_copy.try_reserve_exact(cells).map_err(|_| too_large("table.sub"))?;
        for (k, &c) in sub.iter().enumerate() {
            let item = k / elements.max(1);
            sub_copy.push(check_cost(
                &format!("table.sub[{k}] (item {item}, element {})", k - item * elements),
                c,
            )?);
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

    /// Checks one request: ids in range, padding within hyp, lengths within limits.
    pub fn check_input(&self, r: &[u32], h: &[u32], free_lead: u64, free_trail: u64) -> Result<(), AlignError> {
        check_sequence("ref", r, self.items, "item")?;
        check_sequence("hyp", h, self.elements, "element")?;
        if free_lead.saturating_add(free_trail) > h.len() as u64 {
            return Err(AlignError::new(
                "invalid-padding",
                format!(
                    "input.freeLead + input.freeTrail = {free_lead} + {free_trail} exceeds hyp.length {}",
                    h.len()
                ),
            ));
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

fn static_half_width(n: usize, m: usize) -> usize {
    let w = ((n.max(m) as f64).sqrt() / 2.0).ceil() as usize;
    w.clamp(2, 32)
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

    /// Validates and aligns, returning an owned Alignment (convenient for tests and Rust callers).
    pub fn align(&mut self, t: &Table, r: &[u32], h: &[u32], free_lead: u64, free_trail: u64) -> Result<Alignment, AlignError> {
        t.check_input(r, h, free_lead, free_trail)?;
        let cost = self.align_checked(t, r, h, free_lead as usize, free_trail as usize)?;
        let len = self.steps();
        let mut out = Alignment { ops: vec![0; len], ref_index: vec![0; len], hyp_index: vec![0; len], cost };
        self.write_path(&mut out.ops, &mut out.ref_index, &mut out.hyp_index);
        Ok(out)
    }

    /// Aligns an input already accepted by `Table::check_input`; the path is left in the buffers.
    pub fn align_checked(&mut self, t: &Table, r: &[u32], h: &[u32], free_lead: usize, free_trail: usize) -> Result<f64, AlignError> {
        let n = r.len();
        let m = h.len();
        self.step_op.clear();
        self.step_ref.clear();
        self.step_hyp.clear();
        self.step_op.try_reserve(n + m).map_err(|_| too_large("alignment path"))?;
        self.step_ref.try_reserve(n + m).map_err(|_| too_large("alignment path"))?;
        self.step_hyp.try_reserve(n + m).map_err(|_| too_large("alignment path"))?;
        let e = t.elements;
        if n == 0 || m == 0 {
            let mut cost = 0.0;
            if m == 0 {
                for i in 0..n {
                    cost += t.delete;
                    self.push(OP_DELETE, i as i32, -1);
                }
            } else {
                let trail_start = m - free_trail;
                for j in 0..m {
                    cost += if j < free_lead || j >= trail_start { 0.0 } else { t.insert };
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
        let upper = self.static_band_cost(t, r, h, free_lead, free_trail);
        let cost = self.pruned(t, r, h, free_lead, free_trail, upper)?;
        self.traceback(t, r, h);
        Ok(cost)
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

    /// Cost of the best path inside a static band around the (0,0)-(n,m) line: an upper bound.
    fn static_band_cost(&mut self, t: &Table, r: &[u32], h: &[u32], free_lead: usize, free_trail: usize) -> f64 {
        let n = r.len();
        let m = h.len();
        let e = t.elements;
        let (ins, del) = (t.insert, t.delete);
        let trail_start = m - free_trail;
        let ins_cost = |k: usize| if k < free_lead || k >= trail_start { 0.0 } else { ins };
        let w = static_half_width(n, m);
        let mut prev = &mut self.row_a;
        let mut cur = &mut self.row_b;
        let mut phi = m.min(m / n + w);
        prev[0] = 0.0;
        for j in 1..=phi {
            prev[j] = prev[j - 1] + ins_cost(j - 1);
        }
        let mut plo = 0usize;
        for i in 1..=n {
            let sub_row = &t.sub[r[i - 1] as usize * e..r[i - 1] as usize * e + e];
            let clo = ((i as u64 * m as u64 / n as u64) as usize).saturating_sub(w);
            let chi = m.min(((i as u64 + 1) * m as u64 / n as u64) as usize + w);
            for j in clo..=chi {
                let mut best = f64::INFINITY;
                if j > plo && j - 1 <= phi {
                    best = prev[j - 1] + sub_row[h[j - 1] as usize];
                }
                if j <= phi {
                    let d = prev[j] + del;
                    if d < best {
                        best = d;
                    }
                }
                if j > clo {
                    let x = cur[j - 1] + ins_cost(j - 1);
                    if x < best {
                        best = x;
                    }
                }
                cur[j] = best;
            }
            std::mem::swap(&mut prev, &mut cur);
            plo = clo;
            phi = chi;
        }
        prev[m]
    }

    fn pruned(&mut self, t: &Table, r: &[u32], h: &[u32], free_lead: usize, free_trail: usize, upper: f64) -> Result<f64, AlignError> {
        let n = r.len();
        let m = h.len();
        let e = t.elements;
        let (ins, del) = (t.insert, t.delete);
        let trail_start = m - free_trail;
        let ins_cost = |k: usize| if k < free_lead || k >= trail_start { 0.0 } else { ins };
        let limit = upper + upper * ((n + m + 4) as f64 * SLACK_PER_TERM);
        // Lower bound on the cost from (i,j) to (n,m): one side's surplus must be deleted or
        // inserted, and padding columns still ahead may absorb insertions for free.
        let rest = |i: usize, j: usize| -> f64 {
            let d = (m - j) as i64 - (n - i) as i64;
            if d <= 0 {
                return (-d) as f64 * del;
            }
            let free = ((m - j).min(free_trail) + free_lead.saturating_sub(j)) as i64;
            if d > free { (d - free) as f64 * ins } else { 0.0 }
        };
        let Workspace { row_a, row_b, dirs, row_lo, row_start, .. } = self;
        let mut prev: &mut Vec<f64> = row_a;
        let mut cur: &mut Vec<f64> = row_b;
        prev[0] = 0.0;
        let mut phi = 0usize;
        for j in 1..=m {
            let v = prev[j - 1] + ins_cost(j - 1);
            if v + rest(0, j) > limit {
                break;
            }
            prev[j] = v;
            phi = j;
        }
        let mut plo = 0usize;
        let mut pos = 0usize;
        for i in 1..=n {
            let sub_row = &t.sub[r[i - 1] as usize * e..r[i - 1] as usize * e + e];
            let need = pos + (m - plo + 1);
            if need > MAX_BAND_CELLS {
                return Err(AlignError::new(
                    "too-large",
                    format!("alignment needs more than {MAX_BAND_CELLS} band cells; split the input into shorter phrases"),
                ));
            }
            if dirs.len() < need {
                let target = need.max(dirs.len() * 2).min(MAX_BAND_CELLS);
                grow(dirs, target)?;
            }
            row_lo[i] = plo;
            row_start[i] = pos;
            let mut first = usize::MAX;
            let mut last = 0usize;
            let v = prev[plo] + del;
            if v + rest(i, plo) <= limit {
                cur[plo] = v;
                first = plo;
                last = plo;
            } else {
                cur[plo] = f64::INFINITY;
            }
            dirs[pos] = DEL;
            pos += 1;
            {
                let row_dirs = &mut dirs[pos..pos + (phi - plo)];
                for (k, j) in (plo + 1..=phi).enumerate() {
                    let mut best = prev[j - 1] + sub_row[h[j - 1] as usize];
                    let mut dir = DIAG;
                    let d = prev[j] + del;
                    if d < best {
                        best = d;
                        dir = DEL;
                    }
                    let x = cur[j - 1] + ins_cost(j - 1);
                    if x < best {
                        best = x;
                        dir = INS;
                    }
                    if best + rest(i, j) <= limit {
                        cur[j] = best;
                        if first == usize::MAX {
                            first = j;
                        }
                        last = j;
                    } else {
                        cur[j] = f64::INFINITY;
                    }
                    row_dirs[k] = dir;
                }
                pos += phi - plo;
            }
            if phi < m {
                let j = phi + 1;
                let mut best = prev[phi] + sub_row[h[phi] as usize];
                let mut dir = DIAG;
                let x = cur[phi] + ins_cost(phi);
                if x < best {
                    best = x;
                    dir = INS;
                }
                if best + rest(i, j) <= limit {
                    cur[j] = best;
                    if first == usize::MAX {
                        first = j;
                    }
                    last = j;
                } else {
                    cur[j] = f64::INFINITY;
                }
                dirs[pos] = dir;
                pos += 1;
                // Beyond the previous row's band only insertions along this row reach a cell.
                let mut k = j + 1;
                while k <= m && last == k - 1 {
                    let v = cur[k - 1] + ins_cost(k - 1);
                    if v + rest(i, k) > limit {
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
                return Err(AlignError::new("internal", format!("band emptied at row {i} (bound {upper}); this is a bug")));
            }
            std::mem::swap(&mut prev, &mut cur);
            plo = first;
            phi = last;
        }
        if phi != m {
            return Err(AlignError::new("internal", format!("end cell left the band (bound {upper}); this is a bug")));
        }
        Ok(prev[m])
    }

    fn traceback(&mut self, t: &Table, r: &[u32], h: &[u32]) {
        let e = t.elements;
        let mut i = r.len();
        let mut j = h.len();
        while i > 0 {
            let dir = self.dirs[self.row_start[i] + j - self.row_lo[i]];
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
    }
}

/// The specification as a full-matrix DP (tests only): same recurrence and tie-break.
#[cfg(test)]
pub(crate) fn reference_align(t: &Table, r: &[u32], h: &[u32], free_lead: usize, free_trail: usize) -> Alignment {
    let (n, m) = (r.len(), h.len());
    let w = m + 1;
    let ins_cost = |k: usize| if k < free_lead || k >= m - free_trail { 0.0 } else { t.insert };
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
    }

    #[test]
    fn equals_full_dp_on_random_inputs() {
        let mut rng = Rng(0x9E3779B97F4A7C15);
        let mut ws = Workspace::new();
        for round in 0..20_000 {
            let items = 1 + rng.below(6) as usize;
            let elements = 1 + rng.below(7) as usize;
            let t = random_table(&mut rng, items, elements);
            let max_len = if round % 10 == 0 { 60 } else { 9 };
            let r: Vec<u32> = (0..rng.below(max_len)).map(|_| rng.below(items as u64) as u32).collect();
            let h: Vec<u32> = (0..rng.below(max_len)).map(|_| rng.below(elements as u64) as u32).collect();
            let lead = (rng.below(4) as usize).min(h.len());
            let trail = (rng.below(4) as usize).min(h.len() - lead);
            let got = ws.align(&t, &r, &h, lead as u64, trail as u64).unwrap();
            let want = reference_align(&t, &r, &h, lead, trail);
            assert_eq!(got, want, "r={r:?} h={h:?} lead={lead} trail={trail}");
            assert_eq!(got.cost.to_bits(), want.cost.to_bits());
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
            let got = ws.align(&t, &r, &h, lead as u64, trail as u64).unwrap();
            assert_eq!(got, reference_align(&t, &r, &h, lead, trail));
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
    }
}
