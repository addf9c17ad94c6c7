/**
 * A small JSON Schema validator for the subset our contracts use, so contract tests can check a
 * producer's output against the committed schema without a validator package.
 */
import { type JSONSchema, jsonEqual } from './compat';

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Validates `value` against `schema` and returns the problems, each as `<path>: <message>` (an
 * empty list when valid). Supports type (also lists, integer), required, properties,
 * additionalProperties, enum, const, items, anyOf, oneOf, pattern, format date-time,
 * minimum/maximum (also exclusive), minLength/maxLength (in code points), minItems/maxItems. Any
 * other keyword is refused with an error, so a schema using more than this is never half-checked.
 */
export function validate(schema: JSONSchema | boolean, value: unknown, path = ''): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${at(path)}: no value is allowed`];
  const errors: string[] = [];
  const fail = (message: string) => errors.push(`${at(path)}: ${message}`);
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) fail(`unsupported keyword "${key}"`);

  const types = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type : undefined;
  if (types && !types.some((t) => hasType(value, t))) {
    fail(`expected ${types.join(' or ')}, got ${typeName(value)}`);
    return errors;
  }
  if (schema.const !== undefined && !jsonEqual(schema.const, value)) fail(`must be ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((v) => jsonEqual(v, value))) fail(`must be one of ${JSON.stringify(schema.enum)}`);

  if (typeof value === 'string') {
    const length = [...value].length;
    if (typeof schema.minLength === 'number' && length < schema.minLength) fail(`shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && length > schema.maxLength) fail(`longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) fail(`does not match ${schema.pattern}`);
    if (schema.format === 'date-time' && !(DATE_TIME.test(value) && Number.isFinite(Date.parse(value)))) fail('is not an RFC 3339 date-time');
    else if (schema.format !== undefined && schema.format !== 'date-time') fail(`unsupported format ${JSON.stringify(schema.format)}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail(`less than ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail(`greater than ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) fail(`not greater than ${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) fail(`not less than ${schema.exclusiveMaximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail(`fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail(`more than ${schema.maxItems} items`);
    const items = schema.items;
    if (items !== undefined) {
      value.forEach((v, i) => {
        errors.push(...validate(subschema(Array.isArray(items) ? items[i] : items), v, `${path}[${i}]`));
      });
    }
  }
  if (isRecord(value)) {
    const properties = isRecord(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required)) for (const key of schema.required) if (typeof key === 'string' && !Object.hasOwn(value, key)) fail(`"${key}" is required`);
    for (const [key, v] of Object.entries(value)) {
      const where = path ? `${path}.${key}` : key;
      if (Object.hasOwn(properties, key)) errors.push(...validate(subschema(properties[key]), v, where));
      else if (schema.additionalProperties === false) fail(`unexpected property "${key}"`);
      else if (isRecord(schema.additionalProperties)) errors.push(...validate(schema.additionalProperties, v, where));
    }
  }
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => validate(subschema(s), value, path).length === 0)) {
    fail(`matches none of anyOf: ${schema.anyOf.map((s) => validate(subschema(s), value, path).join(', ')).join(' | ')}`);
  }
  if (Array.isArray(schema.oneOf)) {
    const matching = schema.oneOf.filter((s) => validate(subschema(s), value, path).length === 0).length;
    if (matching !== 1) fail(`matches ${matching} of oneOf (exactly 1 needed)`);
  }
  return errors;
}

const KNOWN = new Set([
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  'default',
  'examples',
  'type',
  'const',
  'enum',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
  'items',
  'required',
  'properties',
  'additionalProperties',
  'anyOf',
  'oneOf',
]);

const at = (path: string) => path || '(root)';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function subschema(value: unknown): JSONSchema | boolean {
  return typeof value === 'boolean' ? value : isRecord(value) ? value : true;
}

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isRecord(value);
    default:
      return false;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}
