//! Pure-Rust comparison of the addon's aligner (`new`: readscore_aligner's Workspace, as the addon
//! calls it) with the previous system's similar-based Myers aligner (`old`, see old.rs), on inputs
//! written by aligner/bench/run.ts. Run by `npm run bench:aligner`; by hand:
//!
//!   readscore-aligner-bench agree TABLE CASES        # verdict agreement and costs, as JSON
//!   readscore-aligner-bench count new|old TABLE CASES
//!   readscore-aligner-bench time new|old TABLE CASES MS  # median wall ns per alignment, ~MS ms
//!
//! `count` aligns every case once to warm the buffers, then once more inside
//! `readscore_bench_new` / `readscore_bench_old`: run it under
//! `valgrind --tool=callgrind --toggle-collect=readscore_bench_new` to count only that pass.
//!
//! TABLE: `items elements insert delete`, then items*elements costs, then items*elements kinds.
//! CASES: the number of cases, then per case `freeLead freeTrail n ref... m hyp...`.
//! All whitespace-separated; costs in JavaScript's shortest round-trip spelling.

mod old;

use old::{OldAligner, Path};
use readscore_aligner::{Table, Workspace};
use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

const OP_DELETE: u8 = 3;
const OP_INSERT: u8 = 4;

/// The table as read, with the raw arrays the old aligner and the path costs need.
struct Inputs {
    items: usize,
    elements: usize,
    sub: Vec<f64>,
    kind: Vec<u8>,
    insert: f64,
    delete: f64,
}

struct Case {
    r: Vec<u32>,
    h: Vec<u32>,
    free_lead: usize,
    free_trail: usize,
}

struct Tokens<'a> {
    file: &'a str,
    words: std::str::SplitAsciiWhitespace<'a>,
}

impl Tokens<'_> {
    /// The next number; `what` names it in the error message (built only on failure).
    fn next<T: std::str::FromStr>(&mut self, what: impl Fn() -> String) -> Result<T, String> {
        let word = self.words.next().ok_or_else(|| format!("{}: ends before {}", self.file, what()))?;
        word.parse().map_err(|_| format!("{}: {} is {word:?}, not a valid number", self.file, what()))
    }
}

fn read(file: &str) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))
}

fn read_table(file: &str) -> Result<Inputs, String> {
    let text = read(file)?;
    let mut t = Tokens { file, words: text.split_ascii_whitespace() };
    let items: usize = t.next(|| "items".into())?;
    let elements: usize = t.next(|| "elements".into())?;
    let insert = t.next(|| "insert".into())?;
    let delete = t.next(|| "delete".into())?;
    let cells = items.checked_mul(elements).ok_or_else(|| format!("{file}: items*elements overflows"))?;
    let sub = (0..cells).map(|k| t.next(|| format!("sub[{k}]"))).collect::<Result<_, _>>()?;
    let kind = (0..cells).map(|k| t.next(|| format!("kind[{k}]"))).collect::<Result<_, _>>()?;
    Ok(Inputs { items, elements, sub, kind, insert, delete })
}

fn read_cases(file: &str) -> Result<Vec<Case>, String> {
    let text = read(file)?;
    let mut t = Tokens { file, words: text.split_ascii_whitespace() };
    let count: usize = t.next(|| "the case count".into())?;
    (0..count)
        .map(|c| {
            let free_lead = t.next(|| format!("case {c} freeLead"))?;
            let free_trail = t.next(|| format!("case {c} freeTrail"))?;
            let n: usize = t.next(|| format!("case {c} ref length"))?;
            let r = (0..n).map(|k| t.next(|| format!("case {c} ref[{k}]"))).collect::<Result<_, _>>()?;
            let m: usize = t.next(|| format!("case {c} hyp length"))?;
            let h = (0..m).map(|k| t.next(|| format!("case {c} hyp[{k}]"))).collect::<Result<_, _>>()?;
            Ok(Case { r, h, free_lead, free_trail })
        })
        .collect()
}

/// Aligns every case with the addon's aligner the way its binding does (align_checked, then the
/// path copied out); returns the total number of steps.
fn run_new(t: &Table, cases: &[Case], ws: &mut Workspace, out: &mut Path) -> usize {
    let mut steps = 0;
    for c in cases {
        let cost = ws.align_checked(t, &c.r, &c.h, c.free_lead, c.free_trail).expect("input checked before");
        let len = ws.steps();
        out.ops.resize(len, 0);
        out.ref_index.resize(len, 0);
        out.hyp_index.resize(len, 0);
        ws.write_path(&mut out.ops, &mut out.ref_index, &mut out.hyp_index);
        black_box((cost, &out));
        steps += len;
    }
    steps
}

fn run_old(old: &OldAligner, cases: &[Case], out: &mut Path) -> usize {
    let mut steps = 0;
    for c in cases {
        old.align(&c.r, &c.h, out);
        black_box(&out);
        steps += out.ops.len();
    }
    steps
}

/// The measured pass of the new aligner (callgrind --toggle-collect=readscore_bench_new).
#[no_mangle]
#[inline(never)]
fn readscore_bench_new(t: &Table, cases: &[Case], ws: &mut Workspace, out: &mut Path) -> usize {
    // black_box keeps the call out of tail position, so callgrind sees it inside this function.
    black_box(run_new(t, cases, ws, out))
}

/// The measured pass of the old aligner (callgrind --toggle-collect=readscore_bench_old).
#[no_mangle]
#[inline(never)]
fn readscore_bench_old(old: &OldAligner, cases: &[Case], out: &mut Path) -> usize {
    black_box(run_old(old, cases, out))
}

/// Cost of a path under the table, summed in path order as the DP does (padding inserts free).
fn path_cost(t: &Inputs, c: &Case, p: &Path) -> f64 {
    let trail_start = c.h.len() - c.free_trail;
    let mut cost = 0.0;
    for s in 0..p.ops.len() {
        let (r, h) = (p.ref_index[s], p.hyp_index[s]);
        cost += match p.ops[s] {
            OP_DELETE => t.delete,
            OP_INSERT if (h as usize) < c.free_lead || h as usize >= trail_start => 0.0,
            OP_INSERT => t.insert,
            _ => t.sub[c.r[r as usize] as usize * t.elements + c.h[h as usize] as usize],
        };
    }
    cost
}

/// Per item: its op (the verdict: Match, Accept, Substitute or Delete) and the element it took.
fn verdicts(p: &Path, items: usize) -> Vec<(u8, i32)> {
    let mut v = vec![(u8::MAX, -1); items];
    for s in 0..p.ops.len() {
        if p.ops[s] != OP_INSERT {
            v[p.ref_index[s] as usize] = (p.ops[s], p.hyp_index[s]);
        }
    }
    v
}

fn agree(inputs: &Inputs, t: &Table, cases: &[Case]) -> Result<String, String> {
    let old = OldAligner::new(inputs.items, inputs.elements, &inputs.kind);
    let mut ws = Workspace::new();
    let (mut a, mut b) = (Path::default(), Path::default());
    let (mut items, mut verdict_differs, mut heard_differs, mut phrases_differ, mut old_costlier) = (0, 0, 0, 0, 0);
    let (mut new_cost, mut old_cost) = (0.0, 0.0);
    for (k, c) in cases.iter().enumerate() {
        let cost = ws.align_checked(t, &c.r, &c.h, c.free_lead, c.free_trail).map_err(|e| e.message)?;
        let len = ws.steps();
        a.ops.resize(len, 0);
        a.ref_index.resize(len, 0);
        a.hyp_index.resize(len, 0);
        ws.write_path(&mut a.ops, &mut a.ref_index, &mut a.hyp_index);
        old.align(&c.r, &c.h, &mut b);
        let (cost_new, cost_old) = (path_cost(inputs, c, &a), path_cost(inputs, c, &b));
        if cost_new != cost {
            return Err(format!("case {k}: the new path costs {cost_new}, the aligner reported {cost}"));
        }
        if cost_old < cost_new {
            return Err(format!("case {k}: the old path costs {cost_old}, below the optimum {cost_new}"));
        }
        let (va, vb) = (verdicts(&a, c.r.len()), verdicts(&b, c.r.len()));
        let differs = va.iter().zip(&vb).filter(|(x, y)| x.0 != y.0).count();
        items += c.r.len();
        verdict_differs += differs;
        heard_differs += va.iter().zip(&vb).filter(|(x, y)| x != y).count();
        phrases_differ += usize::from(differs > 0);
        old_costlier += usize::from(cost_old > cost_new);
        new_cost += cost_new;
        old_cost += cost_old;
    }
    Ok(format!(
        "{{\"alignments\":{},\"items\":{items},\"verdictDiffers\":{verdict_differs},\"verdictOrHeardDiffers\":{heard_differs},\
         \"phrasesDiffer\":{phrases_differ},\"oldCostlier\":{old_costlier},\"newCost\":{new_cost},\"oldCost\":{old_cost}}}",
        cases.len()
    ))
}

fn run(args: &[String]) -> Result<String, String> {
    let usage =
        "usage: readscore-aligner-bench agree TABLE CASES | count new|old TABLE CASES | time new|old TABLE CASES MS";
    let is_algorithm = |which: &String| which == "new" || which == "old";
    let (mode, which, files, budget_ms) = match args {
        [mode, table, cases] if mode == "agree" => (mode, "", [table, cases], 0.0),
        [mode, which, table, cases] if mode == "count" && is_algorithm(which) => {
            (mode, which.as_str(), [table, cases], 0.0)
        }
        [mode, which, table, cases, ms] if mode == "time" && is_algorithm(which) => {
            let ms = ms.parse().map_err(|_| format!("time: MS is {ms:?}, not a number of milliseconds"))?;
            (mode, which.as_str(), [table, cases], ms)
        }
        _ => return Err(usage.into()),
    };
    let inputs = read_table(files[0])?;
    let cases = read_cases(files[1])?;
    let t = Table::new(inputs.items, inputs.elements, &inputs.sub, &inputs.kind, inputs.insert, inputs.delete)
        .map_err(|e| e.message)?;
    for (k, c) in cases.iter().enumerate() {
        t.check_input(&c.r, &c.h, c.free_lead as u64, c.free_trail as u64)
            .map_err(|e| format!("case {k}: {}", e.message))?;
    }
    if mode == "agree" {
        return agree(&inputs, &t, &cases);
    }
    let mut out = Path::default();
    let mut ws = Workspace::new();
    let old = OldAligner::new(inputs.items, inputs.elements, &inputs.kind);
    let mut pass = |measured: bool| match (which, measured) {
        ("new", false) => run_new(&t, &cases, &mut ws, &mut out),
        ("new", true) => readscore_bench_new(&t, &cases, &mut ws, &mut out),
        (_, false) => run_old(&old, &cases, &mut out),
        (_, true) => readscore_bench_old(&old, &cases, &mut out),
    };
    pass(false);
    if mode == "count" {
        let steps = pass(true);
        return Ok(format!("{{\"alignments\":{},\"steps\":{steps}}}", cases.len()));
    }
    // time: median ns per alignment over passes for about `budget_ms` (wall time: noisy when shared).
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 5 || (start.elapsed().as_secs_f64() * 1e3 < budget_ms && samples.len() < 2001) {
        let t0 = Instant::now();
        pass(false);
        samples.push(t0.elapsed().as_secs_f64() * 1e9 / cases.len().max(1) as f64);
    }
    samples.sort_by(f64::total_cmp);
    Ok(format!(
        "{{\"alignments\":{},\"passes\":{},\"nsPerAlignment\":{}}}",
        cases.len(),
        samples.len(),
        samples[samples.len() / 2]
    ))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("readscore-aligner-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
