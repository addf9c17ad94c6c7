/**
 * Confidence intervals for error rates measured on a few hundred labelled items. The Wilson score
 * interval is used instead of the normal ("Wald") one because it stays inside [0, 1] and keeps its
 * coverage when the rate is near 0 — which is where a usable scorer's error rates are.
 */

/** z for a two-sided 95 % interval (the 97.5th percentile of the standard normal). */
export const Z_95 = 1.959963984540054;

/** A two-sided confidence interval of a proportion. */
export interface Interval {
  readonly low: number;
  readonly high: number;
}

/**
 * The Wilson score interval of `count` successes in `total` trials; null when there are no trials
 * (nothing was measured, so there is no interval).
 *
 * @example
 * wilsonInterval(81, 263) // { low: 0.2553…, high: 0.3662… } (Newcombe 1998, method 3)
 */
export function wilsonInterval(count: number, total: number, z = Z_95): Interval | null {
  if (!Number.isInteger(count) || !Number.isInteger(total) || count < 0 || count > total) {
    throw new RangeError(`wilsonInterval: expected integers 0 ≤ count ≤ total, got ${count} of ${total}`);
  }
  if (total === 0) return null;
  const p = count / total;
  const z2 = z * z;
  const denominator = 1 + z2 / total;
  const centre = (p + z2 / (2 * total)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total));
  // Clamped: at count 0 or count = total the bound is 0 or 1 exactly, not -1e-17.
  return { low: count === 0 ? 0 : Math.max(0, centre - half), high: count === total ? 1 : Math.min(1, centre + half) };
}

/** A measured proportion: how many of how many, the rate, and its 95 % Wilson interval (null for 0 of 0). */
export interface Rate {
  readonly count: number;
  readonly total: number;
  readonly rate: number | null;
  readonly ci95: Interval | null;
}

/** `count` of `total` as a {@link Rate}. */
export function rateOf(count: number, total: number): Rate {
  return { count, total, rate: total === 0 ? null : count / total, ci95: wilsonInterval(count, total) };
}
