import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonName, jsonString } from '../../../src/decode/json-text.js';

// Every UTF-16 code unit, lone surrogates included, and the characters JSON must escape.
const anyText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
  fc.string({ unit: fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u2028', '\ud800', '\udc00', 'a', 'é') }),
);

describe('jsonString and jsonName', () => {
  it('write exactly what JSON.stringify writes, for any text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(jsonString(text)).toBe(JSON.stringify(text));
        expect(jsonName(text)).toBe(JSON.stringify(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('stay right past the bound of remembered names', () => {
    for (let i = 0; i < 10_000; i++) expect(jsonName(`name "${i}"`)).toBe(JSON.stringify(`name "${i}"`));
    expect(jsonName('name "1"')).toBe('"name \\"1\\""');
  });
});
