//! The resampler's polyphase FIR (core/audio/resample.ts designs the filter), native twin of the
//! WebAssembly kernel core/audio/fir.wat, plus PCM16 input converted block by block on the way in.
//!
//! Same answer as the WebAssembly kernel, bit for bit: every output is eight f32 lanes, lane `l`
//! summing `x[t] * c[t]` over the taps `t ≡ l (mod 8)` in tap order (a multiply, then an add: no
//! fused multiply-add), then `((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7))` — the order of
//! fir.wat's two 4-lane accumulators and its final reduction. Rust never contracts or reorders
//! float arithmetic, so the AVX path, the auto-vectorised portable path and the WebAssembly kernel
//! all round identically; the tests compare them.
//!
//! Also the model input's normalisation (core/model/preprocess.ts): the sum and the squared
//! deviations of a part in f64 over four lanes (`i mod 4`, the tail into lane 0, then
//! `(l0 + l1) + (l2 + l3)`), and `(x - mean) * scale` rounded to f32 — the order of the TypeScript
//! loops there, so the module and its fallback give the same bits.

/// Output samples per block: a multiple of `up` near this, so every block starts at phase 0.
const BLOCK_OUTPUTS: usize = 65536;

/// The filter as resample.ts hands it over: `table[phase * taps + t]`, `taps` a multiple of 8.
pub struct Fir<'a> {
    pub table: &'a [f32],
    pub taps: usize,
    pub up: usize,
    pub down: usize,
    /// Input samples before the output position covered by tap 0.
    pub lead: usize,
}

/// Where the input samples come from: float samples, or PCM16 scaled by 1/32768 (exact in f32).
#[derive(Clone, Copy)]
pub enum Input<'a> {
    F32(&'a [f32]),
    Pcm16(&'a [i16]),
}

impl Input<'_> {
    fn len(&self) -> usize {
        match self {
            Input::F32(x) => x.len(),
            Input::Pcm16(x) => x.len(),
        }
    }

    /// Copies samples `[from, from + dst.len())` into `dst` (the range lies within the input).
    fn copy_to(&self, from: usize, dst: &mut [f32]) {
        let n = dst.len();
        match self {
            Input::F32(x) => dst.copy_from_slice(&x[from..from + n]),
            Input::Pcm16(x) => {
                for (d, s) in dst.iter_mut().zip(&x[from..from + n]) {
                    *d = f32::from(*s) * (1.0 / 32768.0);
                }
            }
        }
    }
}

/// Why the filter cannot run: the table does not hold `up` phases of `taps` taps.
pub fn check(fir: &Fir) -> Result<(), String> {
    if fir.taps == 0 || fir.taps % 8 != 0 {
        return Err(format!("taps is {}; expected a positive multiple of 8", fir.taps));
    }
    if fir.up == 0 || fir.down == 0 {
        return Err(format!("up {} and down {} must be positive", fir.up, fir.down));
    }
    match fir.up.checked_mul(fir.taps) {
        Some(n) if n == fir.table.len() => Ok(()),
        _ => Err(format!(
            "the table holds {} coefficients; up × taps = {} × {} expected",
            fir.table.len(),
            fir.up,
            fir.taps
        )),
    }
}

/// Fills `out` with the resampled input: `out[i]` is the filter of phase `(i * down) % up` over
/// the input from `floor(i * down / up) - lead`, zeros outside the input. `check(fir)` first.
pub fn resample(fir: &Fir, input: Input, out: &mut [f32]) {
    let block = fir.up * (BLOCK_OUTPUTS / fir.up).max(1);
    let span = (block * fir.down).div_ceil(fir.up) + fir.taps + 8;
    let mut scratch = vec![0f32; span];
    let n_in = input.len() as i64;
    let mut o0 = 0usize;
    while o0 < out.len() {
        let n = block.min(out.len() - o0);
        // o0 is a multiple of `up`: the block starts at phase 0 and input sample (o0 / up) * down.
        let first = ((o0 / fir.up) * fir.down) as i64 - fir.lead as i64;
        let from = first.max(0);
        let to = n_in.min(first + span as i64);
        scratch.fill(0.0);
        if to > from {
            let at = (from - first) as usize;
            input.copy_to(from as usize, &mut scratch[at..at + (to - from) as usize]);
        }
        kernel(fir, &scratch, &mut out[o0..o0 + n]);
        o0 += n;
    }
}

/// The filter over one zero-padded block (`x` covers every tap of every output).
fn kernel(fir: &Fir, x: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX (checked just above).
            return unsafe { kernel_avx(fir, x, out) };
        }
    }
    kernel_portable(fir, x, out);
}

/// Eight lanes in a plain array: LLVM vectorises it (SSE2 on x86-64, NEON on aarch64).
fn kernel_portable(fir: &Fir, x: &[f32], out: &mut [f32]) {
    let (step, carry_at) = (fir.down / fir.up, fir.down % fir.up);
    let (mut base, mut phase) = (0usize, 0usize);
    for o in out.iter_mut() {
        let xs = &x[base..base + fir.taps];
        let cs = &fir.table[phase * fir.taps..(phase + 1) * fir.taps];
        let mut acc = [0f32; 8];
        for (xc, cc) in xs.chunks_exact(8).zip(cs.chunks_exact(8)) {
            for l in 0..8 {
                acc[l] += xc[l] * cc[l];
            }
        }
        *o = reduce(&acc);
        phase += carry_at;
        base += step;
        if phase >= fir.up {
            phase -= fir.up;
            base += 1;
        }
    }
}

/// fir.wat's reduction: its two 4-lane accumulators added lane-wise, then pairs.
#[inline(always)]
fn reduce(a: &[f32; 8]) -> f32 {
    ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]))
}

/// reduce() in registers: the halves added lane-wise, then two horizontal pair sums.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
unsafe fn reduce_avx(acc: std::arch::x86_64::__m256) -> f32 {
    use std::arch::x86_64::*;
    let s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    let h = _mm_hadd_ps(s, s);
    _mm_cvtss_f32(_mm_hadd_ps(h, h))
}

/// Outputs of one phase computed together in the phase-major pass of [`kernel_avx`].
const PHASE_RUN: usize = 8;

/// Four outputs at a time, each with its own accumulator: the four add chains are independent, so
/// the adds overlap instead of waiting on one another, and each output still sums its taps in the
/// documented order (the same bits as one output at a time).
///
/// Phase-major: output `j·up + r` has the phase of output `r` and starts `j·down` input samples
/// after it, so the block is walked in groups of `PHASE_RUN · up` outputs, and within a group phase
/// by phase: the `PHASE_RUN` outputs of one phase share its coefficient row (loaded once per four
/// outputs, from L1) and read a stretch of input that stays in L1 (3.6 k samples at 44.1 → 16 kHz).
/// In output order each output needed a different 384-byte row of the 61 KB table, which does not
/// fit L1. The outputs after the last whole group run in output order.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn kernel_avx(fir: &Fir, x: &[f32], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let (up, down, taps) = (fir.up, fir.down, fir.taps);
    let group = up * PHASE_RUN;
    let whole = out.len() / group * group;
    if whole > 0 {
        // Phase and first input sample of output r < up (output j·up + r: the same phase, j·down later).
        let starts: Vec<(usize, usize)> = (0..up).map(|r| ((r * down) % up, r * down / up)).collect();
        let mut g = 0;
        while g < whole {
            let first = (g / up) * down;
            for (r, &(phase, base)) in starts.iter().enumerate() {
                debug_assert!(first + base + (PHASE_RUN - 1) * down + taps <= x.len());
                let c = fir.table.as_ptr().add(phase * taps);
                let xs = x.as_ptr().add(first + base);
                // All PHASE_RUN (8) outputs of the phase at once: eight independent add chains.
                let xo: [*const f32; PHASE_RUN] = std::array::from_fn(|k| xs.add(k * down));
                let mut a = [_mm256_setzero_ps(); PHASE_RUN];
                let mut t = 0;
                while t < taps {
                    let ct = _mm256_loadu_ps(c.add(t));
                    for k in 0..PHASE_RUN {
                        a[k] = _mm256_add_ps(a[k], _mm256_mul_ps(_mm256_loadu_ps(xo[k].add(t)), ct));
                    }
                    t += 8;
                }
                for (k, acc) in a.iter().enumerate() {
                    out[g + r + k * up] = reduce_avx(*acc);
                }
            }
            g += group;
        }
    }
    // The rest in output order, from output `whole` (a multiple of up: phase 0).
    let (step, carry_at) = (down / up, down % up);
    let (mut base, mut phase) = ((whole / up) * down, 0usize);
    let mut next = || {
        debug_assert!(base + taps <= x.len() && (phase + 1) * taps <= fir.table.len());
        let at = (x.as_ptr().add(base), fir.table.as_ptr().add(phase * taps));
        phase += carry_at;
        base += step;
        if phase >= up {
            phase -= up;
            base += 1;
        }
        at
    };
    for o in &mut out[whole..] {
        let (xp, cp) = next();
        let mut acc = _mm256_setzero_ps();
        let mut t = 0;
        while t < taps {
            acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_loadu_ps(xp.add(t)), _mm256_loadu_ps(cp.add(t))));
            t += 8;
        }
        *o = reduce_avx(acc);
    }
}

/// 64 / ln 2, as core/decode/exp.ts computes it.
const EXP_INV_STEP: f64 = 64.0 / std::f64::consts::LN_2;
/// ln2/64 to 35 significant bits, and the rest (exp.ts).
const EXP_STEP_HI: f64 = 0.010830424696450791;
const EXP_STEP_LO: f64 = -2.0164562921995537e-13;
const EXP_UNDERFLOW: f64 = -745.2;

/// core/decode/exp.ts `expNonPositive`, operation for operation (the tables are exp.ts's own,
/// passed in: `fraction[j]` = 2^(-j/64), `power[i]` = 2^-i), so the doubles are the same.
#[inline(always)]
fn exp_non_positive(x: f64, fraction: &[f64; 64], power: &[f64]) -> f64 {
    if !(x >= EXP_UNDERFLOW) {
        return if x < EXP_UNDERFLOW { 0.0 } else { f64::NAN };
    }
    // x ≥ -745.2: 0.5 - x·64/ln2 lies in [0.5, 68800], so the cast truncates as JS's `| 0` does.
    let m = (0.5 - x * EXP_INV_STEP) as i32;
    let mf = f64::from(m);
    let r = x + mf * EXP_STEP_HI + mf * EXP_STEP_LO;
    let r2 = r * r;
    let q = r + r2 * (0.5 + r * (1.0 / 6.0) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)));
    let t = fraction[(m & 63) as usize];
    (t + t * q) * power[(m >> 6) as usize]
}

/// The decoder's per-frame argmax and softmax sum (core/decode/ctc.ts `frameArgmax`) for frames
/// `[from, to)` of `vocab`-wide rows: `best[f]` the first index of the row's maximum, `sums[f]` the
/// f64 sum in token order of `expNonPositive(x - max)` — the same doubles as the TypeScript loop;
/// the caller takes the log and writes the log-probabilities (Math.log's own rounding).
#[allow(clippy::too_many_arguments)]
pub fn softmax_sums(
    data: &[f32],
    vocab: usize,
    from: usize,
    to: usize,
    fraction: &[f64; 64],
    power: &[f64],
    best: &mut [i32],
    sums: &mut [f64],
) {
    for f in from..to {
        let row = &data[f * vocab..(f + 1) * vocab];
        let (mut bi, mut bv) = (0usize, f64::from(row[0]));
        for (v, &x) in row.iter().enumerate().skip(1) {
            if f64::from(x) > bv {
                bv = f64::from(x);
                bi = v;
            }
        }
        let mut sum = 0f64;
        for &x in row {
            sum += exp_non_positive(f64::from(x) - bv, fraction, power);
        }
        best[f] = bi as i32;
        sums[f] = sum;
    }
}

/// Sum of `x` in f64, four lanes (see the module comment).
pub fn sum(x: &[f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX (checked just above).
            return unsafe { sum_avx(x) };
        }
    }
    sum_lanes(x)
}

/// Sum of `(x - mean)²` in f64, four lanes.
pub fn squares(x: &[f32], mean: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX (checked just above).
            return unsafe { squares_avx(x, mean) };
        }
    }
    squares_lanes(x, mean)
}

/// `out[i] = ((x[i] - mean) * scale) as f32` (`out` as long as `x`).
pub fn normalize(x: &[f32], mean: f64, scale: f64, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX (checked just above).
            return unsafe { normalize_avx(x, mean, scale, out) };
        }
    }
    normalize_plain(x, mean, scale, out);
}

#[inline(always)]
fn lanes_of(x: &[f32], term: impl Fn(f32) -> f64) -> f64 {
    let mut acc = [0f64; 4];
    let mut chunks = x.chunks_exact(4);
    for c in &mut chunks {
        for l in 0..4 {
            acc[l] += term(c[l]);
        }
    }
    for &v in chunks.remainder() {
        acc[0] += term(v);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

#[inline(always)]
fn sum_lanes(x: &[f32]) -> f64 {
    lanes_of(x, f64::from)
}

#[inline(always)]
fn squares_lanes(x: &[f32], mean: f64) -> f64 {
    lanes_of(x, |v| {
        let d = f64::from(v) - mean;
        d * d
    })
}

#[inline(always)]
fn normalize_plain(x: &[f32], mean: f64, scale: f64, out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = ((f64::from(v) - mean) * scale) as f32;
    }
}

// The same loops compiled for AVX (LLVM vectorises them; Rust keeps the order of the adds).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn sum_avx(x: &[f32]) -> f64 {
    sum_lanes(x)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn squares_avx(x: &[f32], mean: f64) -> f64 {
    squares_lanes(x, mean)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn normalize_avx(x: &[f32], mean: f64, scale: f64, out: &mut [f32]) {
    normalize_plain(x, mean, scale, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One output the slow way, in the documented order.
    fn reference(fir: &Fir, x: &[f32], i: usize) -> f32 {
        let base = (i * fir.down / fir.up) as i64 - fir.lead as i64;
        let phase = (i * fir.down) % fir.up;
        let mut lanes = [0f32; 8];
        for t in 0..fir.taps {
            let at = base + t as i64;
            let s = if at >= 0 && (at as usize) < x.len() { x[at as usize] } else { 0.0 };
            lanes[t % 8] += s * fir.table[phase * fir.taps + t];
        }
        reduce(&lanes)
    }

    fn table(up: usize, taps: usize) -> Vec<f32> {
        (0..up * taps).map(|k| ((k * 7919 % 1009) as f32 / 1009.0 - 0.5) * 0.1).collect()
    }

    fn signal(n: usize) -> Vec<i16> {
        (0..n).map(|i| ((i as i64 * 2654435761 % 65536) - 32768) as i16).collect()
    }

    #[test]
    fn matches_the_reference_bit_for_bit_across_blocks() {
        let t = table(160, 96);
        let fir = Fir { table: &t, taps: 96, up: 160, down: 441, lead: 47 };
        check(&fir).unwrap();
        let pcm = signal(200_000);
        let x: Vec<f32> = pcm.iter().map(|&s| f32::from(s) / 32768.0).collect();
        let n = (pcm.len() * 160).div_ceil(441);
        let (mut a, mut b, mut c) = (vec![0f32; n], vec![0f32; n], vec![0f32; n]);
        resample(&fir, Input::Pcm16(&pcm), &mut a);
        resample(&fir, Input::F32(&x), &mut b);
        // The portable kernel over the whole padded input in one block.
        let mut padded = vec![0f32; fir.lead];
        padded.extend_from_slice(&x);
        padded.resize(padded.len() + (n * 441).div_ceil(160) + 200, 0.0);
        kernel_portable(&fir, &padded, &mut c);
        for i in 0..n {
            let r = reference(&fir, &x, i);
            assert_eq!(a[i].to_bits(), r.to_bits(), "pcm16 output {i}");
            assert_eq!(b[i].to_bits(), r.to_bits(), "f32 output {i}");
            assert_eq!(c[i].to_bits(), r.to_bits(), "portable output {i}");
        }
    }

    #[test]
    fn upsampling_and_short_inputs() {
        let t = table(441, 16);
        let fir = Fir { table: &t, taps: 16, up: 441, down: 160, lead: 7 };
        // 3,000 samples: whole phase-major groups (441 × 8 outputs each) and a rest.
        for len in [0usize, 1, 5, 300, 3_000] {
            let x: Vec<f32> = (0..len).map(|i| (i as f32 * 0.3).sin()).collect();
            let n = (len * 441).div_ceil(160);
            let mut out = vec![f32::NAN; n];
            resample(&fir, Input::F32(&x), &mut out);
            for i in 0..n {
                assert_eq!(out[i].to_bits(), reference(&fir, &x, i).to_bits(), "len {len} output {i}");
            }
        }
    }

    #[test]
    fn one_phase_and_odd_lengths() {
        // 48 kHz → 16 kHz: up 1, so every output has phase 0; lengths around the group size.
        let t = table(1, 24);
        let fir = Fir { table: &t, taps: 24, up: 1, down: 3, lead: 11 };
        for len in [7usize, 24, 25, 31, 1_000, 200_003] {
            let x: Vec<f32> = (0..len).map(|i| ((i * 613 % 977) as f32 / 977.0 - 0.5) * 0.9).collect();
            let n = len.div_ceil(3);
            let mut out = vec![f32::NAN; n];
            resample(&fir, Input::F32(&x), &mut out);
            for i in 0..n {
                assert_eq!(out[i].to_bits(), reference(&fir, &x, i).to_bits(), "len {len} output {i}");
            }
        }
    }

    #[test]
    fn statistics_follow_the_documented_lanes() {
        for len in [0usize, 1, 3, 4, 5, 7, 8, 1001, 48_003] {
            let x: Vec<f32> = (0..len).map(|i| ((i * 7919 % 2003) as f32 / 2003.0 - 0.4) * 0.7).collect();
            let (mut s, mut q) = ([0f64; 4], [0f64; 4]);
            let tail = len - len % 4;
            for (i, &v) in x.iter().enumerate() {
                s[if i < tail { i % 4 } else { 0 }] += f64::from(v);
            }
            let sum_ref = (s[0] + s[1]) + (s[2] + s[3]);
            assert_eq!(sum(&x).to_bits(), sum_ref.to_bits(), "sum of {len}");
            assert_eq!(sum_lanes(&x).to_bits(), sum_ref.to_bits(), "portable sum of {len}");
            let mean = if len > 0 { sum_ref / len as f64 } else { 0.0 };
            for (i, &v) in x.iter().enumerate() {
                q[if i < tail { i % 4 } else { 0 }] += (f64::from(v) - mean) * (f64::from(v) - mean);
            }
            let squares_ref = (q[0] + q[1]) + (q[2] + q[3]);
            assert_eq!(squares(&x, mean).to_bits(), squares_ref.to_bits(), "squares of {len}");
            assert_eq!(squares_lanes(&x, mean).to_bits(), squares_ref.to_bits(), "portable squares of {len}");
            let mut out = vec![0f32; len];
            normalize(&x, mean, 3.5, &mut out);
            for i in 0..len {
                assert_eq!(
                    out[i].to_bits(),
                    (((f64::from(x[i]) - mean) * 3.5) as f32).to_bits(),
                    "normalised {i} of {len}"
                );
            }
        }
    }

    #[test]
    fn rejects_a_table_of_the_wrong_shape() {
        let t = table(160, 96);
        assert!(check(&Fir { table: &t, taps: 95, up: 160, down: 441, lead: 0 }).is_err());
        assert!(check(&Fir { table: &t[1..], taps: 96, up: 160, down: 441, lead: 0 }).is_err());
        assert!(check(&Fir { table: &t, taps: 96, up: 0, down: 441, lead: 0 }).is_err());
    }
}
