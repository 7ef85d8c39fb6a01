import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BTREE_MAX_BYTES, indexKeyRefusal, jsonbRefusal } from '../../../../src/sink/postgres/predicted-refusals.js';

describe('jsonbRefusal', () => {
  it.each([
    ['{"s":"a\\u0000b"}', /U\+0000/],
    ['{"s":"\\ud800"}', /lone surrogate \(U\+D800\)/],
    ['{"s":"\\udc00x"}', /lone surrogate \(U\+DC00\)/],
    ['{"s":"\\ud83d\\u0041"}', /lone surrogate \(U\+D83D\)/],
    ['{"s":"\\\\\\u0000"}', /U\+0000/],
    ['{"s":"\ud800"}', /lone surrogate/],
  ])('refuses %s', (json, reason) => {
    expect(jsonbRefusal(json)).toMatch(reason);
  });

  it.each([
    ['{"s":"plain"}'],
    ['{"s":"\\ud83d\\ude00 and 😀"}'],
    // An escaped backslash followed by the letters u0000 is not an escape.
    ['{"s":"\\\\u0000"}'],
    ['{"s":"\\\\\\\\u0000 \\"\\u0001"}'],
  ])('accepts %s', (json) => {
    expect(jsonbRefusal(json)).toBeNull();
  });

  it('agrees with JSON.stringify about every string: refused exactly when it holds U+0000 or a lone surrogate', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const unstorable = s.includes('\u0000') || /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
        expect(jsonbRefusal(JSON.stringify({ s })) !== null).toBe(unstorable);
      }),
    );
  });
});

describe('indexKeyRefusal', () => {
  it('refuses values over the B-tree entry limit, counted in UTF-8 bytes', () => {
    expect(indexKeyRefusal('a'.repeat(BTREE_MAX_BYTES), 'the key')).toBeNull();
    expect(indexKeyRefusal('é'.repeat(BTREE_MAX_BYTES / 2 + 1), 'the key')).toBe(`the key is 2706 bytes, over PostgreSQL's 2704-byte limit for an index entry`);
  });
});
