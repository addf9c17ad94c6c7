//! Times one alignment of `len` items (default 5,000) vs ~len elements with ~10% edits, without
//! node, for profiling the Rust kernel: `cargo run --release --offline --example long_probe [len]`.
use readscore_aligner::{Table, Workspace};
use std::time::Instant;

fn main() {
    let items = 52usize;
    let elements = 60usize;
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = move |n: u64| {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545F4914F6CDD1D) % n
    };
    let mut sub = vec![1.0; items * elements];
    let mut kind = vec![2u8; items * elements];
    for i in 0..items {
        sub[i * elements + i] = 0.0;
        kind[i * elements + i] = 0;
        for _ in 0..3 {
            let e = next(52) as usize;
            if kind[i * elements + e] == 2 {
                sub[i * elements + e] = 0.25 + next(500) as f64 / 1000.0;
            }
        }
    }
    let t = Table::new(items, elements, &sub, &kind, 1.0, 1.0).unwrap();
    let len: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5000);
    let r: Vec<u32> = (0..len).map(|_| next(items as u64) as u32).collect();
    let mut h = Vec::new();
    for &s in &r {
        match next(30) {
            0 => h.push(next(elements as u64) as u32),
            1 => {}
            2 => {
                h.push(s);
                h.push(next(elements as u64) as u32);
            }
            _ => h.push(s),
        }
    }
    let mut ws = Workspace::new();
    let reps = if len > 1000 { 50 } else { 20000 };
    let mut cost = 0.0;
    let mut fastest = f64::INFINITY;
    for _ in 0..reps {
        let t0 = Instant::now();
        cost = ws.align(&t, &r, &h, 0, 0).unwrap().cost;
        fastest = fastest.min(t0.elapsed().as_secs_f64() * 1000.0);
    }
    println!("len {len}: cost {cost}, fastest {:.2} µs per alignment, {} band cells", fastest * 1000.0, ws.last_cells);
}
