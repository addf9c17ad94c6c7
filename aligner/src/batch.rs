//! Batch alignment: phrases are spread over std::thread workers, each with its own Workspace.

use crate::align::{AlignError, Table, Workspace};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One phrase of a batch (ids already checked with `Table::check_input`).
pub struct Phrase<'a> {
    pub r: &'a [u32],
    pub h: &'a [u32],
    pub free_lead: usize,
    pub free_trail: usize,
    /// Per-element insertion costs (hyp.len() of them), or None for `table.insert`.
    pub insert_cost: Option<&'a [f64]>,
}

/// The paths of a batch, concatenated in input order.
#[derive(Default)]
pub struct BatchPaths {
    pub costs: Vec<f64>,
    /// Cumulative step counts: phrase k owns steps `ends[k-1]..ends[k]`.
    pub ends: Vec<u32>,
    pub ops: Vec<u8>,
    pub ref_index: Vec<i32>,
    pub hyp_index: Vec<i32>,
}

const CHUNK: usize = 16;

fn run_chunk(t: &Table, phrases: &[Phrase], ws: &mut Workspace) -> Result<BatchPaths, AlignError> {
    let mut out = BatchPaths::default();
    let mut total = 0usize;
    for p in phrases {
        let cost = ws.align_checked_with(t, p.r, p.h, p.free_lead, p.free_trail, p.insert_cost)?;
        let len = ws.steps();
        let start = out.ops.len();
        out.ops.resize(start + len, 0);
        out.ref_index.resize(start + len, 0);
        out.hyp_index.resize(start + len, 0);
        ws.write_path(&mut out.ops[start..], &mut out.ref_index[start..], &mut out.hyp_index[start..]);
        total += len;
        out.costs.push(cost);
        out.ends.push(total as u32);
    }
    Ok(out)
}

/// Symbols (ref + hyp) per extra worker thread: below this a thread costs more than it saves.
const SYMBOLS_PER_WORKER: usize = 32_768;

/// Aligns every phrase with up to `threads` workers (the calling thread is one of them, using
/// `ws`); results keep the input order.
pub fn align_batch(
    t: &Table,
    phrases: &[Phrase],
    threads: usize,
    ws: &mut Workspace,
) -> Result<BatchPaths, AlignError> {
    let chunks = phrases.len().div_ceil(CHUNK);
    let symbols: usize = phrases.iter().map(|p| p.r.len() + p.h.len()).sum();
    let workers = threads.max(1).min(chunks).min(1 + symbols / SYMBOLS_PER_WORKER);
    let mut parts: Vec<Option<Result<BatchPaths, AlignError>>> = (0..chunks).map(|_| None).collect();
    let next = AtomicUsize::new(0);
    let work = |ws: &mut Workspace| {
        let mut done = Vec::new();
        loop {
            let c = next.fetch_add(1, Ordering::Relaxed);
            if c >= chunks {
                break;
            }
            let end = (c * CHUNK + CHUNK).min(phrases.len());
            done.push((c, run_chunk(t, &phrases[c * CHUNK..end], ws)));
        }
        done
    };
    let results: Vec<Vec<(usize, Result<BatchPaths, AlignError>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..workers).map(|_| s.spawn(|| work(&mut Workspace::new()))).collect();
        let mut all = vec![work(ws)];
        all.extend(handles.into_iter().map(|h| h.join().unwrap_or_default()));
        all
    });
    for (c, r) in results.into_iter().flatten() {
        parts[c] = Some(r);
    }
    let mut out = BatchPaths::default();
    let mut offset = 0u32;
    for part in parts {
        let part = part.ok_or_else(|| AlignError { code: "internal", message: "a batch worker stopped".into() })??;
        out.costs.extend_from_slice(&part.costs);
        out.ends.extend(part.ends.iter().map(|e| e + offset));
        offset += part.ends.last().copied().unwrap_or(0);
        out.ops.extend_from_slice(&part.ops);
        out.ref_index.extend_from_slice(&part.ref_index);
        out.hyp_index.extend_from_slice(&part.hyp_index);
    }
    Ok(out)
}
