/**
 * Readers for resource properties as the pack receives them: untyped JSON where a boolean may be
 * the string "true" and a policy document may be JSON text or an object.
 */

/** A plain object, or undefined for anything else. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** An array (a single value becomes a one-element array; absent becomes empty). */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A string, or undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A finite number (numeric strings included), or undefined. */
export function asNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** True for `true` and `"true"` (the AWS provider types some flags as strings). */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** Parses JSON text; objects pass through; anything unparsable is undefined. */
export function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** The string values of an object's entries, for `{ KEY: value }` maps. */
export function stringEntries(value: unknown): [string, string][] {
  return Object.entries(asRecord(value) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string');
}
