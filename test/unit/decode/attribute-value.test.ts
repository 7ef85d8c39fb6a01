import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeToJson, itemToJson } from '../../../src/decode/attribute-value.js';
import { decodeErrorOf } from '../../support/decode-errors.js';

const twice = (bytes: number[]) => Buffer.from(Buffer.from(bytes).toString('base64')).toString('base64');
const once = (bytes: number[]) => Buffer.from(bytes).toString('base64');
const streams = (value: unknown) => attributeToJson(value, 'base64', 'v');
const kinesis = (value: unknown) => attributeToJson(value, 'double-base64', 'v');

describe('attributeToJson: scalar types', () => {
  it('S is a JSON string, empty and non-ASCII included', () => {
    expect(streams({ S: 'hello' })).toBe('"hello"');
    expect(streams({ S: '' })).toBe('""');
    expect(streams({ S: '下野 "quoted" \\ \n' })).toBe(JSON.stringify('下野 "quoted" \\ \n'));
  });

  it('N is the canonical decimal, unquoted, with every digit', () => {
    expect(streams({ N: '0012.3400' })).toBe('12.34');
    expect(streams({ N: '1E+100' })).toBe(`1${'0'.repeat(100)}`);
    expect(streams({ N: '12345678901234567890123456789012345678' })).toBe('12345678901234567890123456789012345678');
  });

  it('BOOL and NULL are JSON literals', () => {
    expect(streams({ BOOL: true })).toBe('true');
    expect(streams({ BOOL: false })).toBe('false');
    expect(streams({ NULL: true })).toBe('null');
  });

  it('B in a DynamoDB Streams record is base64 once and is stored as is', () => {
    expect(streams({ B: 'EgIIew==' })).toBe('"EgIIew=="');
  });

  it('B in a Kinesis record is base64 twice and is stored as the inner base64', () => {
    const stored = JSON.parse(kinesis({ B: 'RWdJSWV3PT0=' })) as string;
    expect(stored).toBe('EgIIew==');
    expect([...Buffer.from(stored, 'base64')]).toEqual([18, 2, 8, 123]);
  });

  it('both encodings of the same bytes give the same stored value', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }), (bytes) => {
        expect(kinesis({ B: twice(bytes) })).toBe(JSON.stringify(once(bytes)));
        expect(streams({ B: once(bytes) })).toBe(JSON.stringify(once(bytes)));
      }),
    );
  });

  it('rejects single-encoded binary in a Kinesis record and invalid base64 in either', () => {
    expect(decodeErrorOf(() => kinesis({ B: 'EgIIew==' })).message).toBe('v.B: not valid double base64 (Kinesis encodes binary twice)');
    expect(decodeErrorOf(() => kinesis({ B: 'RWdJSWV3PT0' })).message).toBe('v.B: not valid base64');
    expect(decodeErrorOf(() => streams({ B: 'EgIIew' })).message).toBe('v.B: not valid base64');
    expect(decodeErrorOf(() => streams({ B: 'Eg!Iew==' })).message).toBe('v.B: not valid base64');
  });

  it.each([
    [{ S: 1 }, 'v.S: not a string'],
    [{ N: 5 }, 'v.N: not a string'],
    [{ N: 'five' }, 'v.N: not a DynamoDB number: "five"'],
    [{ B: null }, 'v.B: not a string'],
    [{ BOOL: 'true' }, 'v.BOOL: not a boolean'],
    [{ NULL: false }, 'v.NULL: must be true'],
    [{ NULL: null }, 'v.NULL: must be true'],
  ])('rejects %j', (value, message) => {
    expect(decodeErrorOf(() => streams(value)).message).toBe(message);
  });

  it.each([
    ['no type', {}],
    ['two types', { S: 'a', N: '1' }],
    ['an unknown type', { X: 'a' }],
    ['a lower-case type', { s: 'a' }],
  ])('rejects an AttributeValue with %s', (_, value) => {
    expect(decodeErrorOf(() => streams(value)).message).toBe('v: not an AttributeValue (expected exactly one of S, N, B, BOOL, NULL, M, L, SS, NS, BS)');
  });

  it.each([null, 'a', 1, [{ S: 'a' }]])('rejects %j, which is not an object', (value) => {
    expect(decodeErrorOf(() => streams(value)).message).toBe('v: not an AttributeValue object');
  });
});

describe('attributeToJson: sets', () => {
  it('SS becomes an array sorted by code unit', () => {
    expect(streams({ SS: ['pear', 'Apple', 'apple', '', 'ä'] })).toBe('["","Apple","apple","pear","ä"]');
  });

  it('NS becomes an array of canonical numbers sorted by value', () => {
    expect(streams({ NS: ['10', '9', '-1', '1.50', '0.25', '-0.5', '1E+2'] })).toBe('[-1,-0.5,0.25,1.5,9,10,100]');
  });

  it('BS becomes an array of base64 texts, sorted, in either encoding', () => {
    expect(streams({ BS: [once([3]), once([1]), once([2])] })).toBe(JSON.stringify([once([1]), once([2]), once([3])].sort()));
    expect(kinesis({ BS: [twice([3]), twice([1]), twice([2])] })).toBe(JSON.stringify([once([1]), once([2]), once([3])].sort()));
  });

  it('the same set in any order gives the same JSON', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.string(), { minLength: 1, maxLength: 8 })
          .chain((set) => fc.tuple(fc.constant(set), fc.shuffledSubarray(set, { minLength: set.length }))),
        ([set, shuffled]) => streams({ SS: set }) === streams({ SS: shuffled }),
      ),
    );
  });

  it.each(['SS', 'NS', 'BS'])('rejects an empty %s', (type) => {
    expect(decodeErrorOf(() => streams({ [type]: [] })).message).toBe(`v.${type}: a set cannot be empty`);
  });

  it('names the offending member', () => {
    expect(decodeErrorOf(() => streams({ SS: ['a', 2] })).message).toBe('v.SS[1]: not a string');
    expect(decodeErrorOf(() => streams({ NS: ['1', '1e999'] })).path).toBe('v.NS[1]');
    expect(decodeErrorOf(() => streams({ BS: ['AA==', 'A'] })).message).toBe('v.BS[1]: not valid base64');
    expect(decodeErrorOf(() => streams({ SS: 'a' })).message).toBe('v.SS: not an array');
  });
});

describe('attributeToJson: documents', () => {
  it('M and L nest', () => {
    const value = { M: { list: { L: [{ N: '1' }, { S: 'two' }, { NULL: true }, { M: {} }, { L: [] }] }, flag: { BOOL: false } } };
    expect(JSON.parse(streams(value))).toEqual({ list: [1, 'two', null, {}, []], flag: false });
  });

  it('keeps attribute names with any characters', () => {
    const names = ['a.b', 'c[0]', 'say "hi"', 'back\\slash', '下野', ' '];
    const item = Object.fromEntries(names.map((name, i) => [name, { N: String(i) }]));
    expect(JSON.parse(itemToJson(item, 'base64', 'NewImage'))).toEqual(Object.fromEntries(names.map((name, i) => [name, i])));
  });

  it('keeps numbers exact inside documents', () => {
    const json = itemToJson({ big: { L: [{ N: '123456789012345678901234567890' }] } }, 'base64', 'x');
    expect(json).toBe('{"big":[123456789012345678901234567890]}');
  });

  it('names the path of a bad value deep inside', () => {
    const item = { 'a.b': { M: { list: { L: [{ S: 'ok' }, { N: 'x' }] } } } };
    expect(decodeErrorOf(() => itemToJson(item, 'base64', 'NewImage')).path).toBe('NewImage["a.b"].M["list"].L[1].N');
  });

  it('rejects an empty attribute name', () => {
    expect(decodeErrorOf(() => itemToJson({ '': { S: 'a' } }, 'base64', 'NewImage')).message).toBe('NewImage: empty attribute name');
  });

  it.each([null, [], 'item'])('rejects an item that is %j', (item) => {
    expect(decodeErrorOf(() => itemToJson(item, 'base64', 'NewImage')).message).toBe('NewImage: not a map of attributes');
  });

  it('rejects an M that is not an object and an L that is not an array', () => {
    expect(decodeErrorOf(() => streams({ M: [] })).message).toBe('v.M: not a map of attributes');
    expect(decodeErrorOf(() => streams({ L: {} })).message).toBe('v.L: not an array');
  });
});

describe('nesting limit', () => {
  const nestedMaps = (levels: number): unknown => {
    let value: unknown = { S: 'leaf' };
    for (let i = 0; i < levels; i++) value = { M: { child: value } };
    return value;
  };
  const nestedLists = (levels: number): unknown => {
    let value: unknown = { S: 'leaf' };
    for (let i = 0; i < levels; i++) value = { L: [value] };
    return value;
  };
  const mixed = (levels: number): unknown => {
    let value: unknown = { S: 'leaf' };
    for (let i = 0; i < levels; i++) value = i % 2 ? { M: { child: value } } : { L: [value] };
    return value;
  };

  it.each([
    ['maps', nestedMaps],
    ['lists', nestedLists],
    ['maps and lists', mixed],
  ])('allows 32 levels of %s and rejects 33', (_, nest) => {
    expect(itemToJson({ root: nest(32) }, 'base64', 'NewImage')).toContain('"leaf"');
    expect(decodeErrorOf(() => itemToJson({ root: nest(33) }, 'base64', 'NewImage')).reason).toBe('nested deeper than 32 levels');
  });

  it('rejects very deep input with a DecodeError, not a stack overflow', () => {
    expect(decodeErrorOf(() => itemToJson({ root: nestedMaps(100_000) }, 'base64', 'NewImage')).reason).toBe('nested deeper than 32 levels');
  });
});
