;; Polyphase FIR kernel of the resampler (core/audio/resample.ts), 4-lane SIMD.
;; out[i] = sum over t < taps of in[base(i) + t] * table[phase(i) * taps + t], where base and phase
;; advance by `down` phases of `up` per output. `in` is pre-padded with zeros so no bounds checks
;; are needed; `taps` is a multiple of 8. Two accumulators halve the add dependency chain.
;; Compiled by tools/build-wasm.js into firKernel.generated.ts.
(module
  (memory (export "memory") 1)
  (func (export "fir")
    (param $in i32) (param $table i32) (param $out i32) (param $outLen i32)
    (param $taps i32) (param $up i32) (param $down i32)
    (local $i i32) (local $base i32) (local $phase i32)
    (local $x i32) (local $c i32) (local $end i32) (local $acc v128) (local $acc2 v128)
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $outLen)))
        (local.set $acc (v128.const f32x4 0 0 0 0))
        (local.set $acc2 (v128.const f32x4 0 0 0 0))
        (local.set $x (i32.add (local.get $in) (i32.shl (local.get $base) (i32.const 2))))
        (local.set $c (i32.add (local.get $table)
          (i32.shl (i32.mul (local.get $phase) (local.get $taps)) (i32.const 2))))
        (local.set $end (i32.add (local.get $c) (i32.shl (local.get $taps) (i32.const 2))))
        (loop $inner
          (local.set $acc (f32x4.add (local.get $acc)
            (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $c)))))
          (local.set $acc2 (f32x4.add (local.get $acc2)
            (f32x4.mul (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $c)))))
          (local.set $x (i32.add (local.get $x) (i32.const 32)))
          (local.set $c (i32.add (local.get $c) (i32.const 32)))
          (br_if $inner (i32.lt_u (local.get $c) (local.get $end))))
        (local.set $acc (f32x4.add (local.get $acc) (local.get $acc2)))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (local.set $phase (i32.add (local.get $phase) (local.get $down)))
        (local.set $base (i32.add (local.get $base) (i32.div_u (local.get $phase) (local.get $up))))
        (local.set $phase (i32.rem_u (local.get $phase) (local.get $up)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))))
