/** Each kind of breaking change is caught and additive changes pass, on the real contracts' schemas. */
import { breakingChanges, diffSchemas, type JSONSchema, jsonEqual } from './compat';
import { CONTRACTS } from './registry';

const schemaOf = (name: string): JSONSchema => {
  const contract = CONTRACTS.find((c) => c.name === name);
  if (!contract) throw new Error(`no contract ${name}`);
  return contract.schema();
};

/** A JSON path inside a schema: property names walk `properties`, `[]` walks `items`. */
function at(schema: JSONSchema, path: string): JSONSchema {
  let node = schema;
  for (const step of path.split('.').filter(Boolean)) {
    node = (step === '[]' ? node.items : (node.properties as Record<string, JSONSchema>)[step]) as JSONSchema;
    if (!node) throw new Error(`no ${step} in ${path}`);
  }
  return node;
}

/** The diff from the released (current) schema of `name` to a copy changed by `change`. */
function diffAfter(name: string, change: (schema: JSONSchema) => void) {
  const released = schemaOf(name);
  const current = structuredClone(released);
  change(current);
  return diffSchemas(released, current, name);
}

const props = (node: JSONSchema) => node.properties as Record<string, JSONSchema>;

describe('breaking changes', () => {
  it.each([
    ['a field removed', 'activity-result', (s: JSONSchema) => delete props(s).storyId, ['activity-result: storyId: property removed']],
    [
      'a field renamed',
      'score-request',
      (s: JSONSchema) => {
        props(s).activity_id = props(s).activityId as JSONSchema;
        delete props(s).activityId;
        s.required = (s.required as string[]).map((k) => (k === 'activityId' ? 'activity_id' : k));
      },
      ['score-request: activityId: property removed (renamed to "activity_id"?)'],
    ],
    [
      'nullable removed (type list)',
      'result-rows',
      (s: JSONSchema) => (props(s).storyId = { type: 'string' }),
      ['result-rows: storyId: no longer nullable (type ["string","null"] → "string")'],
    ],
    [
      'nullable removed (zod anyOf)',
      'activity-result',
      (s: JSONSchema) => (props(at(s, 'totals')).accuracy = { type: 'number', minimum: 0, maximum: 1 }),
      ['activity-result: totals.accuracy: no longer nullable (type ["number","null"] → "number")'],
    ],
    [
      'number narrowed to integer',
      'activity-result',
      (s: JSONSchema) => (at(s, 'phrases.[].items.[].confidence').type = 'integer'),
      ['activity-result: phrases[].items[].confidence: type narrowed from "number" to "integer"'],
    ],
    [
      'string changed to number',
      'score-request',
      (s: JSONSchema) => (props(s).correlationId = { type: 'number' }),
      ['score-request: correlationId: type changed from "string" to "number"'],
    ],
    [
      'a new required field',
      'appsync-field-values',
      (s: JSONSchema) => {
        props(s).reviewer = { type: 'string' };
        (s.required as string[]).push('reviewer');
      },
      ['appsync-field-values: reviewer: new required property'],
    ],
    ['an optional field made required', 'score-request', (s: JSONSchema) => (s.required as string[]).push('correlationId'), ['score-request: correlationId: newly required']],
    [
      'an enum value removed',
      'activity-result',
      (s: JSONSchema) => (at(s, 'phrases.[].items.[].verdict').enum = ['correct', 'accepted', 'substituted', 'omitted']),
      ['activity-result: phrases[].items[].verdict: enum value "unscored" removed'],
    ],
    ['a const changed', 'score-request', (s: JSONSchema) => (props(s).schemaVersion = { type: 'number', const: 2 }), ['score-request: schemaVersion: const changed from 1 to 2']],
    [
      'a maxLength tightened',
      'score-request',
      (s: JSONSchema) => (props(s).correlationId = { type: 'string', minLength: 1, maxLength: 64 }),
      ['score-request: correlationId: maxLength tightened from 128 to 64'],
    ],
    [
      'a minimum tightened',
      'activity-result',
      (s: JSONSchema) => (at(s, 'phrases.[].phraseIndex').minimum = 1),
      ['activity-result: phrases[].phraseIndex: minimum tightened from 0 to 1'],
    ],
    [
      'a maximum added',
      'appsync-field-values',
      (s: JSONSchema) => (props(s).error_count = { type: 'integer', minimum: 0, maximum: 100 }),
      ['appsync-field-values: error_count: maximum 100 added'],
    ],
    [
      'a pattern added',
      'result-rows',
      (s: JSONSchema) => (props(s).modelSha256 = { ...props(s).modelSha256, pattern: '^[0-9a-f]{64}$' }),
      ['result-rows: modelSha256: pattern "^[0-9a-f]{64}$" added'],
    ],
    [
      'a pattern changed',
      'segment-metadata',
      (s: JSONSchema) => (props(s).phraseindex = { type: 'string', pattern: '^[0-9]{1,3}$' }),
      ['segment-metadata: phraseindex: pattern changed from "^[0-9]{1,9}$" to "^[0-9]{1,3}$"'],
    ],
    [
      'a format added',
      'activity-result',
      (s: JSONSchema) => (props(s).catalog = { type: 'string', minLength: 1, format: 'uri' }),
      ['activity-result: catalog: format "uri" added'],
    ],
    [
      'additional properties closed',
      'segment-metadata',
      (s: JSONSchema) => (s.additionalProperties = false),
      ['segment-metadata: (root): additional properties no longer allowed'],
    ],
    ['a minProperties added', 'score-request', (s: JSONSchema) => (s.minProperties = 2), ['score-request: (root): minProperties 2 added']],
    [
      'a keyword the diff does not know',
      'score-request',
      (s: JSONSchema) => (s.not = { required: ['x'] }),
      ['score-request: (root): keyword "not" changed (not understood by the compatibility check: review it)'],
    ],
  ])('%s', (_, name, change, expected) => {
    const diff = diffAfter(name, change);
    expect(diff.breaking).toEqual(expected);
  });

  it('an anyOf option removed', () => {
    const released: JSONSchema = { anyOf: [{ type: 'string' }, { type: 'boolean' }] };
    expect(breakingChanges(released, { anyOf: [{ type: 'string' }] })).toEqual(['(root): no longer accepts type "boolean" (anyOf option removed)']);
    expect(breakingChanges(released, { type: 'string' })).toEqual(['(root): no longer accepts type "boolean" (anyOf option removed)']);
  });

  it('a change inside an anyOf option', () => {
    const released: JSONSchema = { anyOf: [{ type: 'string', maxLength: 9 }, { type: 'boolean' }] };
    expect(breakingChanges(released, { anyOf: [{ type: 'string', maxLength: 3 }, { type: 'boolean' }] })).toEqual(['(root): maxLength tightened from 9 to 3']);
  });

  it('a list schema made a tuple, and a schema that accepts nothing', () => {
    expect(breakingChanges({ items: { type: 'string' } }, { items: [{ type: 'string' }] })).toEqual(['[]: items changed between a tuple and a list']);
    expect(breakingChanges({ properties: { a: { type: 'string' } } }, { properties: { a: false } })).toEqual(['a: no value is accepted any more']);
  });
});

describe('additive changes pass', () => {
  it.each([
    ['an optional field added', 'score-request', (s: JSONSchema) => (props(s).priority = { type: 'integer' }), ['score-request: priority: optional property added']],
    [
      'an enum value added',
      'activity-result',
      (s: JSONSchema) => (props(s).aligner = { type: 'string', enum: ['native', 'ts', 'wasm'] }),
      ['activity-result: aligner: enum value "wasm" added'],
    ],
    [
      'integer widened to number',
      'result-rows',
      (s: JSONSchema) => (props(s).phraseIndex = { ...props(s).phraseIndex, type: 'number' }),
      ['result-rows: phraseIndex: type widened from "integer" to "number"'],
    ],
    [
      'made nullable',
      'score-request',
      (s: JSONSchema) => (props(s).source = { type: ['string', 'null'], enum: ['enqueuer', 'redrive', 'manual', null] }),
      ['score-request: source: type widened from "string" to ["string","null"]', 'score-request: source: enum value null added'],
    ],
    [
      'a bound loosened',
      'score-request',
      (s: JSONSchema) => (props(s).correlationId = { type: 'string', minLength: 1, maxLength: 256 }),
      ['score-request: correlationId: maxLength loosened from 128 to 256'],
    ],
    ['a pattern dropped', 'score-request', (s: JSONSchema) => delete props(s).activityId?.pattern, ['score-request: activityId: pattern "^[0-9A-F]{32}$" removed']],
    [
      'a required field made optional',
      'appsync-field-values',
      (s: JSONSchema) => (s.required = (s.required as string[]).filter((k) => k !== 'model')),
      ['appsync-field-values: model: no longer required'],
    ],
    [
      'a description changed',
      'result-rows',
      (s: JSONSchema) => (props(s).engine = { ...props(s).engine, description: 'what ran the model' }),
      ['result-rows: engine: description changed'],
    ],
    ['additional properties opened', 'score-request', (s: JSONSchema) => (s.additionalProperties = true), ['score-request: (root): additional properties now allowed']],
  ])('%s', (_, name, change, expected) => {
    const diff = diffAfter(name, change);
    expect(diff.breaking).toEqual([]);
    expect(diff.additive).toEqual(expected);
  });

  it('an anyOf option added', () => {
    const diff = diffSchemas({ type: 'string' }, { anyOf: [{ type: 'string' }, { type: 'integer' }] });
    expect(diff).toEqual({ breaking: [], additive: ['(root): now also accepts type "integer" (anyOf option added)'] });
  });

  it('every contract is compatible with itself', () => {
    for (const c of CONTRACTS) expect(diffSchemas(c.schema(), c.schema(), c.name)).toEqual({ breaking: [], additive: [] });
  });
});

describe('jsonEqual', () => {
  it('ignores key order, not array order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });
});
