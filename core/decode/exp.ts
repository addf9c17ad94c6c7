/**
 * `e^x` for `x ≤ 0`, about twice as fast as `Math.exp` in V8 (which calls out to fdlibm for every
 * value): the per-frame softmax of the decoder calls it for every logit of every frame. Within 1.5
 * units in the last place of `Math.exp`'s double (the tests bound it at 2); the softmax sums it in
 * float64 and stores float32, so the decoder's outputs equal those computed with `Math.exp` (bit
 * for bit on every example and EVAL activity, and on the decoder tests' random logits).
 *
 * Method: x = -(m·ln2/64) + r with |r| ≤ ln2/128, so e^x = 2^-⌊m/64⌋ · 2^-(m mod 64)/64 · e^r; the
 * middle factor comes from a 64-entry table, e^r − 1 from its Taylor series to r⁵ (truncation
 * < 2^-56 relative), and ln2/64 is split in two so that m·HI is exact for every m used here.
 */

/** 64 / ln 2. */
const INV_STEP = 64 / Math.LN2;
/** ln2/64 rounded to 35 significant bits (m · STEP_HI is exact for m < 2^18). */
const STEP_HI = 0.010830424696450791;
/** ln2/64 − STEP_HI. */
const STEP_LO = -2.0164562921995537e-13;
/** 2^(-j/64) for j = 0 … 63 (also handed to the native twin, aligner/src/dsp.rs, so both use these doubles). */
export const FRACTION = Float64Array.from({ length: 64 }, (_, j) => 2 ** (-j / 64));
/** 2^-i for i = 0 … 1075 (subnormal at the end, as `Math.exp` is there). */
export const POWER = Float64Array.from({ length: 1076 }, (_, i) => 2 ** -i);
/** Below this `Math.exp` returns 0 (its smallest non-zero result is e^-745.13…). */
const UNDERFLOW = -745.2;

/**
 * e^x for x ≤ 0; NaN for NaN, 0 for -Infinity and below -745.2. Arguments above 0 are outside its
 * domain (the table would be indexed out of range): callers subtract the maximum first.
 *
 * @example
 * expNonPositive(logit - max); // as Math.exp(logit - max), faster
 */
export function expNonPositive(x: number): number {
  if (!(x >= UNDERFLOW)) return x < UNDERFLOW ? 0 : Number.NaN;
  const m = (0.5 - x * INV_STEP) | 0;
  const r = x + m * STEP_HI + m * STEP_LO;
  const r2 = r * r;
  const q = r + r2 * (0.5 + r * (1 / 6) + r2 * (1 / 24 + r * (1 / 120)));
  const t = FRACTION[m & 63] as number;
  return (t + t * q) * (POWER[m >> 6] as number);
}
