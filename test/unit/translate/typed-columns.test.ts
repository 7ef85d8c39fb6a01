import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnSpec } from '../../../src/config/column-map.js';
import { convert, isoFromMicros, typedColumns } from '../../../src/translate/typed-columns.js';
import { parse } from 'lossless-json';

const spec = (type: ColumnSpec['type'], from: ColumnSpec['from'] = null) => ({ type, from });
/** One value, given as item JSON text (numbers exact), converted for a column of `type`. */
const one = (json: string, type: ColumnSpec['type'], from: ColumnSpec['from'] = null) => convert(parse(json), spec(type, from));

describe('typedColumns', () => {
  it('reads each column from its path: nested maps and list indexes; absent or null is NULL and not counted', () => {
    const specs: ColumnSpec[] = [
      { name: 'device', path: ['device'], type: 'text', from: null },
      { name: 'city', path: ['address', 'post.city'], type: 'text', from: null },
      { name: 'first', path: ['tags', 0], type: 'text', from: null },
      { name: 'missing', path: ['nope', 'deeper'], type: 'double', from: null },
      { name: 'nothing', path: ['nothing'], type: 'bigint', from: null },
      { name: 'outside', path: ['tags', 9], type: 'text', from: null },
    ];
    const item = '{"device":"foo","address":{"post.city":"Graz"},"tags":["a","b"],"nothing":null}';
    expect(typedColumns(specs, item)).toEqual({ values: ['foo', 'Graz', 'a', null, null, null], unconverted: 0 });
  });

  it('counts a present value that does not convert, and leaves its column NULL', () => {
    const specs: ColumnSpec[] = [
      { name: 't', path: ['t'], type: 'double', from: null },
      { name: 'when', path: ['when'], type: 'timestamp', from: 'iso8601' },
    ];
    expect(typedColumns(specs, '{"t":"warm","when":"yesterday"}')).toEqual({ values: [null, null], unconverted: 2 });
  });
});

describe('convert', () => {
  it('text: strings as they are, numbers in their exact digits, booleans as true/false; maps and lists do not convert', () => {
    expect(one('"x"', 'text')).toBe('x');
    expect(one('12345678901234567890.123456789', 'text')).toBe('12345678901234567890.123456789');
    expect(one('true', 'text')).toBe('true');
    expect(one('{"a":1}', 'text')).toBeNull();
    expect(one('["a"]', 'text')).toBeNull();
  });

  it('bigint: integers within 64 bits, exactly, from numbers or strings; fractions and overflow do not convert', () => {
    expect(one('42', 'bigint')).toBe('42');
    expect(one('42.000', 'bigint')).toBe('42');
    expect(one('4.2E1', 'bigint')).toBe('42');
    expect(one('"-17"', 'bigint')).toBe('-17');
    expect(one('9223372036854775807', 'bigint')).toBe('9223372036854775807');
    expect(one('9223372036854775808', 'bigint')).toBeNull();
    expect(one('-9223372036854775808', 'bigint')).toBe('-9223372036854775808');
    expect(one('1.5', 'bigint')).toBeNull();
    expect(one('"abc"', 'bigint')).toBeNull();
    expect(one('true', 'bigint')).toBeNull();
  });

  it('numeric: every digit kept, as text; double: the nearest double', () => {
    expect(one('12345678901234567890123456789012345678', 'numeric')).toBe('12345678901234567890123456789012345678');
    expect(one('"0.10"', 'numeric')).toBe('0.10');
    expect(one('"x"', 'numeric')).toBeNull();
    expect(one('42.42', 'double')).toBe(42.42);
    expect(one('"1e3"', 'double')).toBe(1000);
    expect(one('1e400', 'double')).toBeNull();
    expect(one('false', 'double')).toBeNull();
  });

  it('boolean: booleans, and the strings true and false in any case', () => {
    expect(one('true', 'boolean')).toBe(true);
    expect(one('"FALSE"', 'boolean')).toBe(false);
    expect(one('1', 'boolean')).toBeNull();
    expect(one('"yes"', 'boolean')).toBeNull();
  });

  it.each([
    // ISO 8601: no zone is UTC; offsets applied; fractions to the microsecond; impossible dates do not convert.
    ['"2024-07-12T01:17:42"', 'iso8601', '2024-07-12T01:17:42.000000Z'],
    ['"2024-07-12 01:17:42.5+02:00"', 'iso8601', '2024-07-11T23:17:42.500000Z'],
    ['"2024-07-12T01:17:42.1234567Z"', 'iso8601', '2024-07-12T01:17:42.123456Z'],
    ['"2024-02-29"', 'iso8601', '2024-02-29T00:00:00.000000Z'],
    ['"2023-02-29"', 'iso8601', null],
    ['"2024-13-01"', 'iso8601', null],
    ['"2024-07-12T24:00:00"', 'iso8601', null],
    ['"0050-01-01T00:00:00Z"', 'iso8601', '0050-01-01T00:00:00.000000Z'],
    ['1720740233', 'iso8601', null],
    // Epoch seconds, milliseconds or microseconds, numbers or strings.
    ['1720740233', 'epoch_seconds', '2024-07-11T23:23:53.000000Z'],
    ['1720740233.0129955', 'epoch_seconds', '2024-07-11T23:23:53.012996Z'],
    ['"1720740233012"', 'epoch_millis', '2024-07-11T23:23:53.012000Z'],
    ['1720740233012995', 'epoch_micros', '2024-07-11T23:23:53.012995Z'],
    ['-1', 'epoch_micros', '1969-12-31T23:59:59.999999Z'],
    ['1e30', 'epoch_seconds', null],
    ['"soon"', 'epoch_seconds', null],
  ] as const)('timestamp: %s from %s is %s', (json, from, expected) => {
    expect(one(json, 'timestamp', from)).toBe(expected);
  });

  it('epoch microseconds agree with Date for every millisecond in range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), fc.integer({ min: 0, max: 999 }), (ms, us) => {
        const iso = isoFromMicros(BigInt(ms) * 1000n + BigInt(us));
        expect(iso.slice(0, 23)).toBe(
          new Date(ms)
            .toISOString()
            .slice(0, 23)
            .replace(/^\+0*(\d{4})/, '$1'),
        );
        expect(iso.slice(23, 26)).toBe(String(us).padStart(3, '0'));
      }),
    );
  });

  it('json: any value as exact JSON text; object: maps only', () => {
    expect(one('{"a":[1,2.50]}', 'json')).toBe('{"a":[1,2.50]}');
    expect(one('["x"]', 'json')).toBe('["x"]');
    expect(one('"s"', 'json')).toBe('"s"');
    expect(one('{"a":1}', 'object')).toBe('{"a":1}');
    expect(one('["x"]', 'object')).toBeNull();
  });
});
