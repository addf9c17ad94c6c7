//! Thin Node-API layer: converts typed arrays to slices, calls `align`/`batch`, and answers one
//! ArrayBuffer per call. Every failure becomes a thrown JS Error with a `code`; nothing panics.

use crate::align::{AlignError, Table, Workspace};
use crate::batch::{align_batch, Phrase};
use crate::dsp;
use crate::napi_sys::*;
use std::cell::RefCell;
use std::ffi::CString;
use std::os::raw::c_void;
use std::ptr;

thread_local! {
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::new());
}

/// Tag stored with the table so a foreign external is not mistaken for one of ours.
const TABLE_TAG: u64 = 0x5245_4144_5343_4f52;

struct TableBox {
    tag: u64,
    table: Table,
}

type Outcome = Result<napi_value, AlignError>;

fn err(code: &'static str, message: impl Into<String>) -> AlignError {
    AlignError { code, message: message.into() }
}

unsafe fn throw(env: napi_env, e: &AlignError) -> napi_value {
    let mut pending = false;
    napi_is_exception_pending(env, &mut pending);
    if !pending {
        let code = CString::new(e.code).unwrap_or_default();
        let msg = CString::new(e.message.replace('\0', " ")).unwrap_or_default();
        napi_throw_error(env, code.as_ptr(), msg.as_ptr());
    }
    ptr::null_mut()
}

unsafe fn finish(env: napi_env, outcome: Outcome) -> napi_value {
    match outcome {
        Ok(v) => v,
        Err(e) => throw(env, &e),
    }
}

unsafe fn args<const N: usize>(env: napi_env, info: napi_callback_info) -> Result<[napi_value; N], AlignError> {
    args_at_least::<N>(env, info, N)
}

/// Reads N arguments of which the first `required` must be given (node passes `undefined` for
/// the missing optional ones).
unsafe fn args_at_least<const N: usize>(
    env: napi_env,
    info: napi_callback_info,
    required: usize,
) -> Result<[napi_value; N], AlignError> {
    let mut argv = [ptr::null_mut(); N];
    let mut argc = N;
    if napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut()) != NAPI_OK {
        return Err(err("invalid-sequence", "could not read the arguments"));
    }
    if argc < required {
        return Err(err("invalid-sequence", format!("expected {required} arguments, got {argc}")));
    }
    Ok(argv)
}

/// An optional Float64Array argument: `undefined`/`null` (or not passed) is None.
unsafe fn optional_costs<'a>(env: napi_env, v: napi_value, name: &str) -> Result<Option<&'a [f64]>, AlignError> {
    let mut ty = 0i32;
    if v.is_null() || napi_typeof(env, v, &mut ty) != NAPI_OK {
        return Err(err("invalid-sequence", format!("{name} could not be read")));
    }
    if ty == NAPI_UNDEFINED || ty == NAPI_NULL {
        return Ok(None);
    }
    typed(env, v, FLOAT64_ARRAY, name, "Float64Array of per-element insertion costs").map(Some)
}

/// Borrows a typed array of the expected element type as a slice (valid during this call).
unsafe fn typed<'a, T>(env: napi_env, v: napi_value, want: i32, name: &str, what: &str) -> Result<&'a [T], AlignError> {
    // napi_get_typedarray_info fails with napi_invalid_arg for anything but a typed array.
    let (mut kind, mut len, mut data) = (0i32, 0usize, ptr::null_mut::<c_void>());
    let (mut ab, mut off) = (ptr::null_mut(), 0usize);
    if napi_get_typedarray_info(env, v, &mut kind, &mut len, &mut data, &mut ab, &mut off) != NAPI_OK || kind != want {
        return Err(err("invalid-sequence", format!("{name} must be a {what}")));
    }
    if len == 0 || data.is_null() {
        return Ok(&[]);
    }
    Ok(std::slice::from_raw_parts(data as *const T, len))
}

/// Borrows a typed array mutably (the caller's output buffer).
unsafe fn typed_mut<'a, T>(
    env: napi_env,
    v: napi_value,
    want: i32,
    name: &str,
    what: &str,
) -> Result<&'a mut [T], AlignError> {
    // napi_get_typedarray_info fails with napi_invalid_arg for anything but a typed array.
    let (mut kind, mut len, mut data) = (0i32, 0usize, ptr::null_mut::<c_void>());
    let (mut ab, mut off) = (ptr::null_mut(), 0usize);
    if napi_get_typedarray_info(env, v, &mut kind, &mut len, &mut data, &mut ab, &mut off) != NAPI_OK || kind != want {
        return Err(err("invalid-sequence", format!("{name} must be a {what}")));
    }
    if len == 0 || data.is_null() {
        return Ok(&mut []);
    }
    Ok(std::slice::from_raw_parts_mut(data as *mut T, len))
}

unsafe fn number(env: napi_env, v: napi_value, name: &str) -> Result<f64, AlignError> {
    let mut out = 0.0;
    if napi_get_value_double(env, v, &mut out) != NAPI_OK {
        return Err(err("invalid-cost", format!("{name} must be a number")));
    }
    Ok(out)
}

unsafe fn count(env: napi_env, v: napi_value, name: &str, code: &'static str) -> Result<usize, AlignError> {
    let x = number(env, v, name)?;
    if !(x >= 0.0 && x <= u32::MAX as f64 && x.fract() == 0.0) {
        return Err(err(code, format!("{name} is {x}; expected an integer >= 0")));
    }
    Ok(x as usize)
}

unsafe fn table<'a>(env: napi_env, v: napi_value) -> Result<&'a Table, AlignError> {
    let mut ty = 0i32;
    let mut data = ptr::null_mut();
    if napi_typeof(env, v, &mut ty) != NAPI_OK
        || ty != NAPI_EXTERNAL
        || napi_get_value_external(env, v, &mut data) != NAPI_OK
        || data.is_null()
    {
        return Err(err("invalid-table-size", "the first argument must be a table from createTable"));
    }
    let boxed = &*(data as *const TableBox);
    if boxed.tag != TABLE_TAG {
        return Err(err("invalid-table-size", "the first argument must be a table from createTable"));
    }
    Ok(&boxed.table)
}

unsafe extern "C" fn finalize_table(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    if !data.is_null() {
        drop(Box::from_raw(data as *mut TableBox));
    }
}

/// Allocates an ArrayBuffer and hands its bytes to `fill`.
unsafe fn array_buffer(env: napi_env, bytes: usize, fill: impl FnOnce(&mut [u8])) -> Outcome {
    let mut data = ptr::null_mut();
    let mut result = ptr::null_mut();
    if napi_create_arraybuffer(env, bytes, &mut data, &mut result) != NAPI_OK {
        return Err(err("too-large", format!("could not allocate a {bytes}-byte result")));
    }
    if bytes > 0 && !data.is_null() {
        fill(std::slice::from_raw_parts_mut(data as *mut u8, bytes));
    }
    Ok(result)
}

fn put_i32s(dst: &mut [u8], src: &[i32]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src) {
        d.copy_from_slice(&s.to_ne_bytes());
    }
}

/// createTable(sub: Float64Array, kind: Uint8Array, items, elements, insert, delete) -> external
unsafe extern "C" fn create_table(env: napi_env, info: napi_callback_info) -> napi_value {
    let outcome = (|| -> Outcome {
        let [sub, kind, items, elements, insert, delete] = args::<6>(env, info)?;
        let sub: &[f64] = typed(env, sub, FLOAT64_ARRAY, "table.sub", "Float64Array")?;
        let kind: &[u8] = typed(env, kind, UINT8_ARRAY, "table.kind", "Uint8Array")?;
        let items = count(env, items, "table.items", "invalid-table-size")?;
        let elements = count(env, elements, "table.elements", "invalid-table-size")?;
        let insert = number(env, insert, "table.insert")?;
        let delete = number(env, delete, "table.delete")?;
        let table = Table::new(items, elements, sub, kind, insert, delete)?;
        let raw = Box::into_raw(Box::new(TableBox { tag: TABLE_TAG, table }));
        let mut result = ptr::null_mut();
        if napi_create_external(env, raw as *mut c_void, finalize_table, ptr::null_mut(), &mut result) != NAPI_OK {
            drop(Box::from_raw(raw));
            return Err(err("internal", "could not create the table handle"));
        }
        Ok(result)
    })();
    finish(env, outcome)
}

/// align(table, ref: Uint32Array, hyp: Uint32Array, freeLead, freeTrail, out: Float64Array,
/// insertCost?: Float64Array) -> steps.
/// Writes into the caller's reusable `out` buffer (at least 8 + 9*(ref.length+hyp.length) bytes):
/// cost f64 | refIndex i32[L] | hypIndex i32[L] | ops u8[L]. Reusing one buffer saves an
/// ArrayBuffer allocation per call, which dominates for short phrases.
unsafe extern "C" fn align(env: napi_env, info: napi_callback_info) -> napi_value {
    let outcome = (|| -> Outcome {
        let [t, r, h, lead, trail, out, costs] = args_at_least::<7>(env, info, 6)?;
        let t = table(env, t)?;
        let r: &[u32] = typed(env, r, UINT32_ARRAY, "input.ref", "Uint32Array of item ids")?;
        let h: &[u32] = typed(env, h, UINT32_ARRAY, "input.hyp", "Uint32Array of element ids")?;
        let lead = count(env, lead, "input.freeLead", "invalid-padding")?;
        let trail = count(env, trail, "input.freeTrail", "invalid-padding")?;
        let out: &mut [f64] = typed_mut(env, out, FLOAT64_ARRAY, "out", "Float64Array")?;
        let costs = optional_costs(env, costs, "input.insertCost")?;
        t.check_input_with(r, h, lead as u64, trail as u64, costs)?;
        let need = 8 + 9 * (r.len() + h.len());
        if out.len() * 8 < need {
            return Err(err("invalid-sequence", format!("out holds {} bytes; {need} needed", out.len() * 8)));
        }
        WORKSPACE.with(|cell| {
            let mut ws = cell.try_borrow_mut().map_err(|_| err("internal", "aligner re-entered"))?;
            let cost = ws.align_checked_with(t, r, h, lead, trail, costs)?;
            let len = ws.steps();
            out[0] = cost;
            // SAFETY: `out` is a live Float64Array of at least `need` bytes (checked above);
            // viewing its bytes as u8 is always valid.
            let bytes = std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), out.len() * 8);
            ws.write_path_bytes(&mut bytes[8..8 + 9 * len], len);
            let mut result = ptr::null_mut();
            napi_create_uint32(env, len as u32, &mut result);
            Ok(result)
        })
    })();
    finish(env, outcome)
}

/// alignBatch(table, refs, refEnds, hyps, hypEnds, pads, threads, insertCosts?) -> ArrayBuffer laid
/// out as costs f64[k] | stepEnds u32[k] (+4 bytes when k is odd) | refIndex i32[T] | hypIndex i32[T]
/// | ops u8[T]. `insertCosts`, when given, is a Float64Array parallel to `hyps` (one cost per
/// element, split by `hypEnds` like `hyps`); phrases without their own costs carry `table.insert`.
unsafe extern "C" fn align_batch_js(env: napi_env, info: napi_callback_info) -> napi_value {
    let outcome = (|| -> Outcome {
        let [t, refs, ref_ends, hyps, hyp_ends, pads, threads, costs] = args_at_least::<8>(env, info, 7)?;
        let t = table(env, t)?;
        let refs: &[u32] = typed(env, refs, UINT32_ARRAY, "refs", "Uint32Array")?;
        let ref_ends: &[u32] = typed(env, ref_ends, UINT32_ARRAY, "refEnds", "Uint32Array")?;
        let hyps: &[u32] = typed(env, hyps, UINT32_ARRAY, "hyps", "Uint32Array")?;
        let hyp_ends: &[u32] = typed(env, hyp_ends, UINT32_ARRAY, "hypEnds", "Uint32Array")?;
        let pads: &[u32] = typed(env, pads, UINT32_ARRAY, "pads", "Uint32Array")?;
        let threads = count(env, threads, "threads", "invalid-sequence")?.clamp(1, 256);
        let costs = optional_costs(env, costs, "insertCosts")?;
        if let Some(c) = costs {
            if c.len() != hyps.len() {
                return Err(err(
                    "invalid-sequence",
                    format!("insertCosts has {} costs; expected one per element of hyps ({})", c.len(), hyps.len()),
                ));
            }
        }
        let k = ref_ends.len();
        if hyp_ends.len() != k || pads.len() != 2 * k {
            return Err(err("invalid-sequence", "batch offsets disagree on the phrase count"));
        }
        let mut phrases = Vec::new();
        phrases.try_reserve_exact(k).map_err(|_| err("too-large", "batch too large"))?;
        let (mut rs, mut hs) = (0usize, 0usize);
        for p in 0..k {
            let (re, he) = (ref_ends[p] as usize, hyp_ends[p] as usize);
            if re < rs || re > refs.len() || he < hs || he > hyps.len() {
                return Err(err("invalid-sequence", format!("inputs[{p}]: batch offsets out of order")));
            }
            let (r, h) = (&refs[rs..re], &hyps[hs..he]);
            let (lead, trail) = (pads[2 * p] as usize, pads[2 * p + 1] as usize);
            let insert_cost = costs.map(|c| &c[hs..he]);
            t.check_input_with(r, h, lead as u64, trail as u64, insert_cost)
                .map_err(|e| err(e.code, format!("inputs[{p}]: {}", e.message)))?;
            phrases.push(Phrase { r, h, free_lead: lead, free_trail: trail, insert_cost });
            rs = re;
            hs = he;
        }
        let paths = WORKSPACE.with(|cell| {
            let mut ws = cell.try_borrow_mut().map_err(|_| err("internal", "aligner re-entered"))?;
            align_batch(t, &phrases, threads, &mut ws)
        })?;
        let total = paths.ops.len();
        let head = 8 * k + 4 * (k + (k & 1));
        array_buffer(env, head + 9 * total, |bytes| {
            let (costs, rest) = bytes.split_at_mut(8 * k);
            for (d, c) in costs.chunks_exact_mut(8).zip(&paths.costs) {
                d.copy_from_slice(&c.to_ne_bytes());
            }
            let (ends, rest) = rest.split_at_mut(4 * (k + (k & 1)));
            for (d, e) in ends.chunks_exact_mut(4).zip(&paths.ends) {
                d.copy_from_slice(&e.to_ne_bytes());
            }
            let (refs_out, rest) = rest.split_at_mut(4 * total);
            let (hyps_out, ops_out) = rest.split_at_mut(4 * total);
            put_i32s(refs_out, &paths.ref_index);
            put_i32s(hyps_out, &paths.hyp_index);
            ops_out.copy_from_slice(&paths.ops);
        })
    })();
    finish(env, outcome)
}

/// The kind of a typed array argument (napi_typedarray_type), or an error naming it.
unsafe fn typed_kind(env: napi_env, v: napi_value, name: &str, what: &str) -> Result<i32, AlignError> {
    let (mut kind, mut len, mut data) = (0i32, 0usize, ptr::null_mut::<c_void>());
    let (mut ab, mut off) = (ptr::null_mut(), 0usize);
    if napi_get_typedarray_info(env, v, &mut kind, &mut len, &mut data, &mut ab, &mut off) != NAPI_OK {
        return Err(err("invalid-input", format!("{name} must be a {what}")));
    }
    Ok(kind)
}

/// resample(input: Float32Array | Int16Array, table: Float32Array, taps, up, down, lead,
/// out: Float32Array) -> undefined. Fills `out` with the polyphase filter of `input` (PCM16 scaled
/// by 1/32768), the twin of core/audio/fir.wat (see dsp.rs).
unsafe extern "C" fn resample_js(env: napi_env, info: napi_callback_info) -> napi_value {
    let outcome = (|| -> Outcome {
        let [input, table, taps, up, down, lead, out] = args::<7>(env, info)?;
        const WHAT: &str = "Float32Array or Int16Array of samples";
        let input = match typed_kind(env, input, "input", WHAT)? {
            FLOAT32_ARRAY => dsp::Input::F32(typed(env, input, FLOAT32_ARRAY, "input", WHAT)?),
            INT16_ARRAY => dsp::Input::Pcm16(typed(env, input, INT16_ARRAY, "input", WHAT)?),
            _ => return Err(err("invalid-input", format!("input must be a {WHAT}"))),
        };
        let table: &[f32] = typed(env, table, FLOAT32_ARRAY, "table", "Float32Array of coefficients")?;
        let fir = dsp::Fir {
            table,
            taps: count(env, taps, "taps", "invalid-input")?,
            up: count(env, up, "up", "invalid-input")?,
            down: count(env, down, "down", "invalid-input")?,
            lead: count(env, lead, "lead", "invalid-input")?,
        };
        dsp::check(&fir).map_err(|m| err("invalid-input", m))?;
        let out: &mut [f32] = typed_mut(env, out, FLOAT32_ARRAY, "out", "Float32Array")?;
        dsp::resample(&fir, input, out);
        let mut result = ptr::null_mut();
        napi_get_undefined(env, &mut result);
        Ok(result)
    })();
    finish(env, outcome)
}

unsafe fn double(env: napi_env, x: f64) -> Outcome {
    let mut result = ptr::null_mut();
    if napi_create_double(env, x, &mut result) != NAPI_OK {
        return Err(err("internal", "could not create a number"));
    }
    Ok(result)
}

unsafe fn samples<'a>(env: napi_env, v: napi_value, name: &str) -> Result<&'a [f32], AlignError> {
    typed(env, v, FLOAT32_ARRAY, name, "Float32Array of samples")
}

unsafe fn finite(env: napi_env, v: napi_value, name: &str) -> Result<f64, AlignError> {
    let x = number(env, v, name)?;
    if !x.is_finite() {
        return Err(err("invalid-input", format!("{name} is {x}; expected a finite number")));
    }
    Ok(x)
}

/// sampleSum(x: Float32Array) -> the f64 sum of the samples (dsp.rs: four lanes).
unsafe extern "C" fn sample_sum(env: napi_env, info: napi_callback_info) -> napi_value {
    let outcome = (|| -> Outcome {
        let [x] = args::<1>(env, info)?;
        double(env, dsp::sum(samples(env, x, "x")?))
    })();
    finish(env, outcome)
}

/// sampleSquares(x: Float32Array, mean) -> the f64 sum of (x - mean)².
unsafe extern "C" fn sample_squares(env: napi_env, info: napi_callback_info) -> napi_value {
    let outcome = (|| -> Outcome {
        let [x, mean] = args::<2>(env, info)?;
        let x = samples(env, x, "x")?;
        double(env, dsp::squares(x, finite(env, mean, "mean")?))
    })();
    finish(env, outcome)
}

/// normalizeInto(x: Float32Array, mean, scale, out: Float32Array, at) -> undefined: writes
/// (x - mean) * scale into out from `at`.
unsafe extern "C" fn normalize_into(env: napi_env, info: napi_callback_info) -> napi_value {
    let outcome = (|| -> Outcome {
        let [x, mean, scale, out, at] = args::<5>(env, info)?;
        let x = samples(env, x, "x")?;
        let (mean, scale) = (finite(env, mean, "mean")?, finite(env, scale, "scale")?);
        let out: &mut [f32] = typed_mut(env, out, FLOAT32_ARRAY, "out", "Float32Array")?;
        let at = count(env, at, "at", "invalid-input")?;
        if at.checked_add(x.len()).map_or(true, |end| end > out.len()) {
            return Err(err(
                "invalid-input",
                format!("out holds {} samples; {} from {at} do not fit", out.len(), x.len()),
            ));
        }
        dsp::normalize(x, mean, scale, &mut out[at..at + x.len()]);
        let mut result = ptr::null_mut();
        napi_get_undefined(env, &mut result);
        Ok(result)
    })();
    finish(env, outcome)
}

/// softmaxSums(data: Float32Array, vocab, from, to, fraction: Float64Array(64), power: Float64Array,
/// best: Int32Array, sums: Float64Array) -> undefined: the per-frame argmax and softmax sum of
/// frames [from, to) (dsp.rs `softmax_sums`, the twin of core/decode/ctc.ts).
unsafe extern "C" fn softmax_sums_js(env: napi_env, info: napi_callback_info) -> napi_value {
    let outcome = (|| -> Outcome {
        let [data, vocab, from, to, fraction, power, best, sums] = args::<8>(env, info)?;
        let data: &[f32] = typed(env, data, FLOAT32_ARRAY, "data", "Float32Array of logits")?;
        let vocab = count(env, vocab, "vocab", "invalid-input")?;
        let (from, to) = (count(env, from, "from", "invalid-input")?, count(env, to, "to", "invalid-input")?);
        let fraction: &[f64] = typed(env, fraction, FLOAT64_ARRAY, "fraction", "Float64Array")?;
        let fraction: &[f64; 64] = fraction
            .try_into()
            .map_err(|_| err("invalid-input", format!("fraction holds {} values; 64 expected", fraction.len())))?;
        let power: &[f64] = typed(env, power, FLOAT64_ARRAY, "power", "Float64Array")?;
        let best: &mut [i32] = typed_mut(env, best, INT32_ARRAY, "best", "Int32Array")?;
        let sums: &mut [f64] = typed_mut(env, sums, FLOAT64_ARRAY, "sums", "Float64Array")?;
        // Largest table index: m ≤ (0.5 + 745.2·64/ln2) → m >> 6 ≤ 1075.
        if vocab == 0
            || from > to
            || to > best.len()
            || to > sums.len()
            || to.checked_mul(vocab).map_or(true, |n| n > data.len())
            || power.len() < 1076
        {
            return Err(err(
                "invalid-input",
                format!(
                    "softmaxSums: {} logits, vocab {vocab}, frames {from}..{to}, best {}, sums {}, power {}",
                    data.len(),
                    best.len(),
                    sums.len(),
                    power.len()
                ),
            ));
        }
        dsp::softmax_sums(data, vocab, from, to, fraction, power, best, sums);
        let mut result = ptr::null_mut();
        napi_get_undefined(env, &mut result);
        Ok(result)
    })();
    finish(env, outcome)
}

/// threads() -> the worker count alignBatch should use (available parallelism).
unsafe extern "C" fn threads(env: napi_env, _info: napi_callback_info) -> napi_value {
    let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as u32;
    let mut result = ptr::null_mut();
    napi_create_uint32(env, n, &mut result);
    result
}

unsafe fn export(env: napi_env, exports: napi_value, name: &'static [u8], cb: napi_callback) {
    let mut f = ptr::null_mut();
    if napi_create_function(env, name.as_ptr().cast(), NAPI_AUTO_LENGTH, cb, ptr::null_mut(), &mut f) == NAPI_OK {
        napi_set_named_property(env, exports, name.as_ptr().cast(), f);
    }
}

/// Module entry point node looks up when it loads the .node file.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    export(env, exports, b"createTable\0", create_table);
    export(env, exports, b"align\0", align);
    export(env, exports, b"alignBatch\0", align_batch_js);
    export(env, exports, b"threads\0", threads);
    export(env, exports, b"resample\0", resample_js);
    export(env, exports, b"sampleSum\0", sample_sum);
    export(env, exports, b"sampleSquares\0", sample_squares);
    export(env, exports, b"normalizeInto\0", normalize_into);
    export(env, exports, b"softmaxSums\0", softmax_sums_js);
    exports
}
