import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceedsDepth, jsonText, MAX_RECORD_DEPTH } from '../../../src/decode/json-depth.js';

const wrapped = (value: unknown, levels: number): unknown => {
  let out = value;
  for (let i = 0; i < levels; i++) out = i % 2 === 0 ? [out] : { k: out };
  return out;
};
const wrappedText = (inner: string, levels: number): string => {
  let out = inner;
  for (let i = 0; i < levels; i++) out = i % 2 === 0 ? `[${out}]` : `{"k":${out}}`;
  return out;
};

describe('exceedsDepth', () => {
  it('counts levels of objects and arrays, not of scalars or binary', () => {
    expect(exceedsDepth(wrapped(1, MAX_RECORD_DEPTH))).toBe(false);
    expect(exceedsDepth(wrapped({}, MAX_RECORD_DEPTH - 1))).toBe(false);
    expect(exceedsDepth(wrapped({}, MAX_RECORD_DEPTH))).toBe(true);
    expect(exceedsDepth(wrapped(new Uint8Array(10), MAX_RECORD_DEPTH))).toBe(false);
    expect(exceedsDepth('text')).toBe(false);
    expect(exceedsDepth(null)).toBe(false);
  });

  it('walks a million levels without recursion', () => {
    expect(exceedsDepth(JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`))).toBe(true);
  });
});

describe('jsonText', () => {
  it('writes what JSON.stringify writes', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => jsonText(value) === JSON.stringify(value)));
    expect(jsonText({ a: undefined, b: [undefined, () => 1], c: 1 })).toBe('{"b":[null,null],"c":1}');
    expect(jsonText(undefined)).toBe('undefined');
  });

  it('writes what JSON.stringify would for values nested past its reach', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => jsonText(wrapped(value, MAX_RECORD_DEPTH + 1)) === wrappedText(JSON.stringify(value), MAX_RECORD_DEPTH + 1)),
      { numRuns: 50 },
    );
    expect(jsonText(wrapped({ a: undefined, b: [undefined] }, MAX_RECORD_DEPTH))).toBe(wrappedText('{"b":[null]}', MAX_RECORD_DEPTH));
    const deep = wrapped('x', 200_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(jsonText(deep) === wrappedText('"x"', 200_000)).toBe(true);
  });
});
