import { describe, expect, it } from 'vitest';
import type { ColumnSpec } from '../../../../src/config/column-map.js';
import { crateColumnValues, crateValue, numericText } from '../../../../src/sink/cratedb/typed-columns.js';

// README "Columns": what CrateDB's types hold exactly goes as it is; the rest is NULL and counted.
describe('numeric values for NUMERIC(38, 10)', () => {
  it.each([
    ['1234567890123456789012345678.0123456789', '"1234567890123456789012345678.0123456789"'],
    ['-0.5', '"-0.5"'],
    ['+1.2500', '"1.25"'],
    ['0007', '"7"'],
    ['.5', '"0.5"'],
    ['1.5e3', '"1500"'],
    ['1e-10', '"0.0000000001"'],
    ['1000e-13', '"0.0000000001"'],
    ['-0.000', '"0"'],
    ['0e99999', '"0"'],
    ['1e27', `"1${'0'.repeat(27)}"`],
  ])('%s → %s', (text, json) => expect(numericText(text)).toBe(json));

  it.each(['0.123456789012', '1e-11', '12345678901234567890123456789', '1e28', '1e99999', '1e-99999', 'abc', ''])('%s does not fit', (text) =>
    expect(numericText(text)).toBeNull(),
  );
});

describe('other values', () => {
  it('bigint: raw digits inside CrateDB BIGINT range, which excludes both 64-bit ends', () => {
    expect(crateValue('bigint', '9223372036854775806')).toBe('9223372036854775806');
    expect(crateValue('bigint', '-9223372036854775807')).toBe('-9223372036854775807');
    expect(crateValue('bigint', '9223372036854775807')).toBeNull();
    expect(crateValue('bigint', '-9223372036854775808')).toBeNull();
  });

  it('text: up to 32,766 UTF-8 bytes', () => {
    expect(crateValue('text', 'é'.repeat(16_383))).toBe(JSON.stringify('é'.repeat(16_383)));
    expect(crateValue('text', `${'é'.repeat(16_383)}x`)).toBeNull();
  });

  it('timestamp: epoch milliseconds (CrateDB keeps no finer fraction)', () => {
    expect(crateValue('timestamp', '2024-07-12T01:17:42.123456Z')).toBe('1720747062123');
    expect(crateValue('timestamp', '1969-12-31T23:59:59.999999Z')).toBe('-1');
    expect(crateValue('timestamp', '0001-01-01T00:00:00.000000Z')).toBe('-62135596800000');
  });

  it('json as a string of its text, object as the map itself, double and boolean as they are', () => {
    expect(crateValue('json', '[1,"a"]')).toBe('"[1,\\"a\\"]"');
    expect(crateValue('object', '{"a":1}')).toBe('{"a":1}');
    expect(crateValue('object', '{"a":[9223372036854775807,0.5,{"b":1e-56}]}'), 'a 64-bit integer, doubles').toBe(
      '{"a":[9223372036854775807,0.5,{"b":1e-56}]}',
    );
    // CrateDB would round the first to a double, and refuse the row for the second.
    expect(crateValue('object', '{"a":1234567890.1234567890123456789}')).toBeNull();
    expect(crateValue('object', '{"a":[9223372036854775808]}')).toBeNull();
    expect(crateValue('double', -3.5)).toBe('-3.5');
    expect(crateValue('boolean', false)).toBe('false');
  });

  it('counts only what translate converted and CrateDB cannot hold', () => {
    const specs: ColumnSpec[] = [
      { name: 'a', path: ['a'], type: 'numeric', from: null },
      { name: 'b', path: ['b'], type: 'text', from: null },
      { name: 'c', path: ['c'], type: 'bigint', from: null },
    ];
    expect(crateColumnValues(specs, ['0.123456789012', null, '42'])).toEqual({ json: ['null', 'null', '42'], unconverted: 1 });
    expect(crateColumnValues(specs, undefined)).toEqual({ json: ['null', 'null', 'null'], unconverted: 0 });
  });
});
