/** The test-only JSON Schema validator: each supported keyword accepts and refuses. */
import { validate } from './validate';

describe('validate', () => {
  const schema = {
    type: 'object',
    properties: {
      id: { type: 'string', pattern: '^[A-F]{2}$' },
      n: { type: 'integer', minimum: 0, maximum: 9 },
      x: { type: 'number', exclusiveMinimum: 0 },
      tag: { type: ['string', 'null'], enum: ['a', 'b', null] },
      v: { const: 1 },
      name: { type: 'string', minLength: 1, maxLength: 3 },
      at: { type: 'string', format: 'date-time' },
      list: { type: 'array', items: { type: 'boolean' }, maxItems: 2 },
      either: { anyOf: [{ type: 'number', maximum: 1 }, { type: 'null' }] },
    },
    required: ['id', 'n'],
    additionalProperties: false,
  };

  it('accepts a valid value', () => {
    expect(validate(schema, { id: 'AB', n: 3, x: 0.5, tag: null, v: 1, name: 'éé', at: '2024-05-01T10:00:00.000Z', list: [true], either: null })).toEqual([]);
    expect(validate(schema, { id: 'AB', n: 0, either: 0.5 })).toEqual([]);
  });

  it.each([
    [{ n: 1 }, '(root): "id" is required'],
    [{ id: 'AB', n: 1, extra: 1 }, '(root): unexpected property "extra"'],
    [{ id: 'ab', n: 1 }, 'id: does not match ^[A-F]{2}$'],
    [{ id: 'AB', n: 1.5 }, 'n: expected integer, got number'],
    [{ id: 'AB', n: 10 }, 'n: greater than 9'],
    [{ id: 'AB', n: -1 }, 'n: less than 0'],
    [{ id: 'AB', n: 1, x: 0 }, 'x: not greater than 0'],
    [{ id: 'AB', n: 1, tag: 'c' }, 'tag: must be one of ["a","b",null]'],
    [{ id: 'AB', n: 1, v: 2 }, 'v: must be 1'],
    [{ id: 'AB', n: 1, name: '' }, 'name: shorter than 1'],
    [{ id: 'AB', n: 1, name: 'abcd' }, 'name: longer than 3'],
    [{ id: 'AB', n: 1, at: '2024-13-01' }, 'at: is not an RFC 3339 date-time'],
    [{ id: 'AB', n: 1, list: [true, 1] }, 'list[1]: expected boolean, got integer'],
    [{ id: 'AB', n: 1, list: [true, true, true] }, 'list: more than 2 items'],
    [{ id: 'AB', n: 1, either: 2 }, 'either: matches none of anyOf: either: greater than 1 | either: expected null, got integer'],
    ['text', '(root): expected object, got string'],
  ])('refuses %j', (value, error) => {
    expect(validate(schema, value)).toEqual([error]);
  });

  it('refuses keywords it does not implement rather than ignoring them', () => {
    expect(validate({ not: { type: 'string' } }, 1)).toEqual(['(root): unsupported keyword "not"']);
    expect(validate({ type: 'string', format: 'email' }, 'a@b')).toEqual(['(root): unsupported format "email"']);
  });
});
