import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalKey } from '../../../src/decode/canonical-key.js';
import { fixture } from '../../support/fixtures.js';
import { decodeErrorOf } from '../../support/decode-errors.js';

describe('canonicalKey', () => {
  it('sorts the attribute names in pk and keeps the record order in keysJson', () => {
    const key = canonicalKey({ timestamp: { S: '2024-07-12T01:17:42' }, device: { S: 'qux' } }, 'double-base64', 'Keys');
    expect(key.pk).toBe('{"device":"qux","timestamp":"2024-07-12T01:17:42"}');
    expect(key.keysJson).toBe('{"timestamp":"2024-07-12T01:17:42","device":"qux"}');
    expect([...key.values]).toEqual([
      ['timestamp', '"2024-07-12T01:17:42"'],
      ['device', '"qux"'],
    ]);
  });

  it('gives the seed records the pk the sink stores', () => {
    const record = fixture('kinesis/seed-insert.json');
    expect(canonicalKey(record.dynamodb.Keys, 'double-base64', 'Keys').pk).toBe('{"device":"qux","timestamp":"2024-07-12T01:17:42"}');
  });

  it('writes numeric keys canonically, so that equal numbers give equal keys', () => {
    const a = canonicalKey({ Id: { N: '101' } }, 'base64', 'Keys');
    const b = canonicalKey({ Id: { N: '+101.000' } }, 'base64', 'Keys');
    expect(a.pk).toBe('{"Id":101}');
    expect(b.pk).toBe(a.pk);
  });

  it('stores binary keys as the base64 of their bytes in either encoding', () => {
    expect(canonicalKey({ id: { B: 'RWdJSWV3PT0=' } }, 'double-base64', 'Keys').pk).toBe('{"id":"EgIIew=="}');
    expect(canonicalKey({ id: { B: 'EgIIew==' } }, 'base64', 'Keys').pk).toBe('{"id":"EgIIew=="}');
  });

  it('tells a string key from a number key with the same digits', () => {
    expect(canonicalKey({ id: { S: '1' } }, 'base64', 'K').pk).not.toBe(canonicalKey({ id: { N: '1' } }, 'base64', 'K').pk);
  });

  it('is injective and ignores attribute order: equal pk exactly when the keys are equal', () => {
    const keyValue = fc.oneof(
      fc.string({ maxLength: 3 }).map((s) => ({ S: s })),
      fc.integer({ min: -20, max: 20 }).map((n) => ({ N: String(n) })),
    );
    const names = fc.uniqueArray(fc.constantFrom('a', 'b', 'a.b', '"', 'a"', ',', ':'), { minLength: 1, maxLength: 2 });
    const keys = names.chain((list) => fc.tuple(...list.map((name) => fc.tuple(fc.constant(name), keyValue))));
    const sameKeys = (x: [string, unknown][], y: [string, unknown][]) =>
      JSON.stringify([...x].sort(([a], [b]) => (a < b ? -1 : 1))) === JSON.stringify([...y].sort(([a], [b]) => (a < b ? -1 : 1)));
    const pairs = fc.oneof(
      fc.tuple(keys, keys),
      keys.map((k) => [k, k] as const),
    );
    fc.assert(
      fc.property(pairs, ([x, y]) => {
        const one = canonicalKey(Object.fromEntries(x), 'base64', 'K');
        const other = canonicalKey(Object.fromEntries([...y].reverse()), 'base64', 'K');
        expect(one.pk === other.pk).toBe(sameKeys(x, y));
      }),
    );
  });

  it.each([
    [undefined, 'Keys: missing or not an object'],
    [[], 'Keys: missing or not an object'],
    [{}, 'Keys: must hold one or two key attributes'],
    [{ a: { S: '1' }, b: { S: '2' }, c: { S: '3' } }, 'Keys: must hold one or two key attributes'],
    [{ id: { BOOL: true } }, 'Keys["id"]: a key attribute must be of type S, N or B'],
    [{ id: { M: {} } }, 'Keys["id"]: a key attribute must be of type S, N or B'],
    [{ id: 'x' }, 'Keys["id"]: a key attribute must be of type S, N or B'],
    [{ id: { N: 'x' } }, 'Keys["id"].N: not a DynamoDB number: "x"'],
    [{ id: { S: 'a', N: '1' } }, 'Keys["id"]: not an AttributeValue (expected exactly one of S, N, B, BOOL, NULL, M, L, SS, NS, BS)'],
  ])('rejects %j', (keys, message) => {
    expect(decodeErrorOf(() => canonicalKey(keys, 'base64', 'Keys')).message).toBe(message);
  });
});
