/**
 * Compatibility of two versions of a contract's JSON Schema: a structural diff of the subset our
 * contracts use, sorting every difference into breaking (needs a new major) or additive (does not).
 */

/** A JSON Schema document or subschema (draft-07, the subset zod-to-json-schema emits). */
export type JSONSchema = { [keyword: string]: unknown };

/** The differences between a released schema and the current one. */
export interface SchemaDiff {
  /** Changes that need a major version bump. */
  readonly breaking: string[];
  /** Changes a released major may take in place. */
  readonly additive: string[];
}

const ANNOTATIONS = ['title', 'description', '$comment', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly'];
const IGNORED = ['$schema', '$id'];
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];
const STRING_RULES = ['pattern', 'format'];
const HANDLED = new Set([
  ...ANNOTATIONS,
  ...IGNORED,
  ...LOWER_BOUNDS,
  ...UPPER_BOUNDS,
  ...STRING_RULES,
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'oneOf',
]);

/**
 * Sorts the differences between `released` and `current` into breaking and additive changes.
 *
 * Direction: data and readers of one major must keep working together, so a change is breaking
 * when a value valid under the released schema may be refused by the current one (a narrowed or
 * changed type, a removed nullability, a removed enum value or changed const, a newly required
 * field, a tightened bound, a new or changed pattern/format, closed additional properties), and
 * when a declared property disappears (a rename is a removal; readers of the released version lose
 * the field). Widening changes are additive although a strict old reader may refuse the new
 * values (an added optional property, an added enum value, a widened type, a loosened bound):
 * readers are expected to tolerate them within a major. Annotations (title, description) are
 * additive. A keyword this diff does not understand is reported as breaking, to be reviewed.
 *
 * Each message is `<name>: <JSON path>: <change>`, e.g.
 * `activity-result: phrases[].items[].verdict: enum value "unscored" removed`.
 */
export function diffSchemas(released: JSONSchema, current: JSONSchema, name?: string): SchemaDiff {
  const diff = new Collector(name ? `${name}: ` : '');
  compareNode(released, current, '', diff);
  return { breaking: diff.breaking, additive: diff.additive };
}

/** The breaking changes from `released` to `current` (see {@link diffSchemas}); empty when compatible. */
export function breakingChanges(released: JSONSchema, current: JSONSchema, name?: string): string[] {
  return diffSchemas(released, current, name).breaking;
}

/** Deep equality of JSON values; object key order does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

class Collector {
  readonly breaking: string[] = [];
  readonly additive: string[] = [];
  constructor(readonly prefix: string) {}
  break(path: string, message: string): void {
    this.breaking.push(`${this.prefix}${path || '(root)'}: ${message}`);
  }
  add(path: string, message: string): void {
    this.additive.push(`${this.prefix}${path || '(root)'}: ${message}`);
  }
}

function isObject(value: unknown): value is JSONSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `true`/absent is the schema accepting anything; `false` accepts nothing. */
function asSchema(value: unknown): JSONSchema {
  if (value === false) return { not: {} };
  return isObject(value) ? value : {};
}

const child = (path: string, key: string) => (path ? `${path}.${key}` : key);
const show = (value: unknown) => JSON.stringify(value);

function typesOf(schema: JSONSchema): string[] | undefined {
  const t = schema.type;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string');
  return undefined;
}

const showTypes = (types: readonly string[]) => (types.length === 1 ? show(types[0]) : show(types));

function isNullOnly(schema: JSONSchema): boolean {
  const keys = Object.keys(schema).filter((k) => !ANNOTATIONS.includes(k));
  return keys.length === 1 && (schema.type === 'null' || (Array.isArray(schema.type) && schema.type.length === 1 && schema.type[0] === 'null'));
}

/** Folds `anyOf: [X, {type: 'null'}]` (zod's nullable) into X with `null` added to its types. */
function normalize(schema: JSONSchema): JSONSchema {
  for (const key of ['anyOf', 'oneOf']) {
    const branches = schema[key];
    if (!Array.isArray(branches)) continue;
    const all = branches.map(asSchema);
    const rest = all.filter((b) => !isNullOnly(b));
    if (rest.length !== 1 || rest.length === all.length) continue;
    const only = normalize(rest[0] as JSONSchema);
    if (Array.isArray(only.anyOf) || Array.isArray(only.oneOf)) continue;
    const { [key]: _, ...outer } = schema;
    const types = typesOf(only);
    return { ...outer, ...only, ...(types ? { type: [...types.filter((t) => t !== 'null'), 'null'] } : {}) };
  }
  return schema;
}

function branchesOf(schema: JSONSchema): { outer: JSONSchema; branches: JSONSchema[] } | undefined {
  for (const key of ['anyOf', 'oneOf']) {
    const branches = schema[key];
    if (!Array.isArray(branches)) continue;
    const { [key]: _, ...outer } = schema;
    return { outer, branches: branches.map((b) => normalize(asSchema(b))) };
  }
  return undefined;
}

function compareNode(releasedValue: unknown, currentValue: unknown, path: string, diff: Collector): void {
  if (currentValue === false && releasedValue !== false) {
    diff.break(path, 'no value is accepted any more');
    return;
  }
  if (releasedValue === false) return;
  const released = normalize(asSchema(releasedValue));
  const current = normalize(asSchema(currentValue));
  const r = branchesOf(released);
  const c = branchesOf(current);
  if (r || c) compareBranches(r ?? { outer: {}, branches: [released] }, c ?? { outer: {}, branches: [current] }, path, diff);
  else compareSimple(released, current, path, diff);
}

/** Every released branch must still be accepted by some current branch; new branches widen. */
function compareBranches(r: { outer: JSONSchema; branches: JSONSchema[] }, c: { outer: JSONSchema; branches: JSONSchema[] }, path: string, diff: Collector): void {
  compareSimple(r.outer, c.outer, path, diff);
  const used = new Set<number>();
  for (const rb of r.branches) {
    const trials = c.branches.map((cb, index) => {
      const sub = new Collector(diff.prefix);
      compareSimple(rb, cb, path, sub);
      return { index, sub, sharesType: sharesType(rb, cb) };
    });
    const match = trials.find((t) => t.sub.breaking.length === 0 && t.sub.additive.length === 0) ?? trials.find((t) => t.sub.breaking.length === 0);
    if (match) {
      used.add(match.index);
      diff.additive.push(...match.sub.additive);
      continue;
    }
    const closest = trials.filter((t) => t.sharesType).sort((a, b) => a.sub.breaking.length - b.sub.breaking.length)[0];
    if (closest) {
      used.add(closest.index);
      diff.breaking.push(...closest.sub.breaking);
    } else {
      diff.break(path, isNullOnly(rb) ? 'no longer nullable' : `no longer accepts ${describe(rb)} (anyOf option removed)`);
    }
  }
  c.branches.forEach((cb, index) => {
    if (!used.has(index) && !r.branches.some((rb) => jsonEqual(rb, cb))) diff.add(path, `now also accepts ${describe(cb)} (anyOf option added)`);
  });
}

function sharesType(a: JSONSchema, b: JSONSchema): boolean {
  const ta = typesOf(a);
  const tb = typesOf(b);
  if (!ta || !tb) return true;
  return ta.some((t) => tb.includes(t) || (t === 'integer' && tb.includes('number')) || (t === 'number' && tb.includes('integer')));
}

function describe(schema: JSONSchema): string {
  const types = typesOf(schema);
  if (schema.const !== undefined) return `const ${show(schema.const)}`;
  return types ? `type ${showTypes(types)}` : 'any value';
}

function compareSimple(released: JSONSchema, current: JSONSchema, path: string, diff: Collector): void {
  for (const key of ANNOTATIONS) if (!jsonEqual(released[key], current[key])) diff.add(path, `${key} changed`);
  compareTypes(released, current, path, diff);
  compareValues(released, current, path, diff);
  for (const key of STRING_RULES) {
    const [r, c] = [released[key], current[key]];
    if (jsonEqual(r, c)) continue;
    if (r === undefined) diff.break(path, `${key} ${show(c)} added`);
    else if (c === undefined) diff.add(path, `${key} ${show(r)} removed`);
    else diff.break(path, `${key} changed from ${show(r)} to ${show(c)}`);
  }
  for (const key of LOWER_BOUNDS) compareBound(key, released[key], current[key], 1, path, diff);
  for (const key of UPPER_BOUNDS) compareBound(key, released[key], current[key], -1, path, diff);
  compareProperties(released, current, path, diff);
  compareItems(released.items, current.items, path, diff);
  const keys = new Set([...Object.keys(released), ...Object.keys(current)]);
  for (const key of keys) {
    if (!HANDLED.has(key) && !jsonEqual(released[key], current[key])) diff.break(path, `keyword "${key}" changed (not understood by the compatibility check: review it)`);
  }
}

const covers = (types: readonly string[], t: string) => types.includes(t) || (t === 'integer' && types.includes('number'));

function compareTypes(released: JSONSchema, current: JSONSchema, path: string, diff: Collector): void {
  const r = typesOf(released);
  const c = typesOf(current);
  if (!r || !c) {
    if (c) diff.break(path, `type restricted to ${showTypes(c)}`);
    else if (r) diff.add(path, `type ${showTypes(r)} no longer restricted`);
    return;
  }
  const lost = r.filter((t) => !covers(c, t));
  const gained = c.filter((t) => !covers(r, t));
  if (lost.length === 1 && lost[0] === 'null') diff.break(path, `no longer nullable (type ${showTypes(r)} → ${showTypes(c)})`);
  else if (lost.length > 0 && gained.length > 0) diff.break(path, `type changed from ${showTypes(r)} to ${showTypes(c)}`);
  else if (lost.length > 0) diff.break(path, `type narrowed from ${showTypes(r)} to ${showTypes(c)}`);
  else if (gained.length > 0) diff.add(path, `type widened from ${showTypes(r)} to ${showTypes(c)}`);
}

function valuesOf(schema: JSONSchema): unknown[] | undefined {
  if (schema.const !== undefined) return [schema.const];
  return Array.isArray(schema.enum) ? schema.enum : undefined;
}

function compareValues(released: JSONSchema, current: JSONSchema, path: string, diff: Collector): void {
  const r = valuesOf(released);
  const c = valuesOf(current);
  if (!r || !c) {
    if (c) diff.break(path, current.const !== undefined ? `const ${show(current.const)} added` : `values restricted to enum ${show(c)}`);
    else if (r) diff.add(path, `any value allowed (was ${released.const !== undefined ? `const ${show(released.const)}` : `enum ${show(r)}`})`);
    return;
  }
  const removed = r.filter((v) => !c.some((w) => jsonEqual(v, w)));
  const added = c.filter((v) => !r.some((w) => jsonEqual(v, w)));
  if (released.const !== undefined && current.const !== undefined && removed.length > 0) {
    diff.break(path, `const changed from ${show(released.const)} to ${show(current.const)}`);
    return;
  }
  for (const v of removed) diff.break(path, `enum value ${show(v)} removed`);
  for (const v of added) diff.add(path, `enum value ${show(v)} added`);
}

/** `sign` 1: a lower bound (raising it tightens); -1: an upper bound (lowering it tightens). */
function compareBound(key: string, r: unknown, c: unknown, sign: 1 | -1, path: string, diff: Collector): void {
  if (jsonEqual(r, c)) return;
  if (r === undefined) diff.break(path, `${key} ${show(c)} added`);
  else if (c === undefined) diff.add(path, `${key} ${show(r)} removed`);
  else if (typeof r !== 'number' || typeof c !== 'number') diff.break(path, `${key} changed from ${show(r)} to ${show(c)}`);
  else if ((c - r) * sign > 0) diff.break(path, `${key} tightened from ${r} to ${c}`);
  else diff.add(path, `${key} loosened from ${r} to ${c}`);
}

/** The schema without annotations (property names inside `properties` are kept whatever they are). */
function stripAnnotations(value: unknown, propertyMap = false): unknown {
  if (Array.isArray(value)) return value.map((v) => stripAnnotations(v));
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).flatMap(([k, v]) => (!propertyMap && ANNOTATIONS.includes(k) ? [] : [[k, stripAnnotations(v, !propertyMap && k === 'properties')]])),
  );
}

function compareProperties(released: JSONSchema, current: JSONSchema, path: string, diff: Collector): void {
  const rp = isObject(released.properties) ? released.properties : {};
  const cp = isObject(current.properties) ? current.properties : {};
  const rreq = new Set(Array.isArray(released.required) ? released.required : []);
  const creq = new Set(Array.isArray(current.required) ? current.required : []);
  const added = Object.keys(cp).filter((k) => !Object.hasOwn(rp, k));
  const renamedTo = new Set<string>();
  for (const [key, schema] of Object.entries(rp)) {
    const at = child(path, key);
    if (!Object.hasOwn(cp, key)) {
      const target = added.find((a) => !renamedTo.has(a) && jsonEqual(stripAnnotations(cp[a]), stripAnnotations(schema)));
      if (target) renamedTo.add(target);
      diff.break(at, target ? `property removed (renamed to "${target}"?)` : 'property removed');
      continue;
    }
    compareNode(schema, cp[key], at, diff);
    if (creq.has(key) && !rreq.has(key)) diff.break(at, 'newly required');
    if (rreq.has(key) && !creq.has(key)) diff.add(at, 'no longer required');
  }
  for (const key of added) {
    if (renamedTo.has(key)) continue;
    if (creq.has(key)) diff.break(child(path, key), 'new required property');
    else diff.add(child(path, key), 'optional property added');
  }
  for (const key of creq) {
    if (typeof key === 'string' && !Object.hasOwn(cp, key) && !rreq.has(key)) diff.break(child(path, key), 'newly required');
  }
  const ra = released.additionalProperties;
  const ca = current.additionalProperties;
  if (jsonEqual(ra, ca)) return;
  if (ca === false) diff.break(path, 'additional properties no longer allowed');
  else if (ra === false) diff.add(path, 'additional properties now allowed');
  else compareNode(ra ?? true, ca ?? true, child(path, '*'), diff);
}

function compareItems(r: unknown, c: unknown, path: string, diff: Collector): void {
  if (r === undefined && c === undefined) return;
  const at = `${path}[]`;
  if (Array.isArray(r) && Array.isArray(c)) {
    for (let i = 0; i < Math.max(r.length, c.length); i++) compareNode(r[i] ?? true, c[i] ?? true, `${path}[${i}]`, diff);
    return;
  }
  if (Array.isArray(r) || Array.isArray(c)) diff.break(at, 'items changed between a tuple and a list');
  else compareNode(r ?? true, c ?? true, at, diff);
}
