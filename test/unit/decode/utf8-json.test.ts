import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeUtf8, parseJson } from '../../../src/decode/utf8-json.js';
import { decodeErrorOf } from '../../support/decode-errors.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

describe('decodeUtf8', () => {
  it('decodes multi-byte characters', () => {
    expect(decodeUtf8(Buffer.from('下野 ✓ 😀', 'utf8'), 'x')).toBe('下野 ✓ 😀');
    expect(decodeUtf8(bytes(), 'x')).toBe('');
  });

  it('round-trips any well-formed string', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => decodeUtf8(Buffer.from(text, 'utf8'), 'x') === text));
  });

  it.each([
    ['a byte that never occurs in UTF-8', bytes(0x7b, 0xff, 0x7d)],
    ['a lone continuation byte', bytes(0x80)],
    ['a truncated sequence', bytes(0xe4, 0xb8)],
    ['an overlong encoding', bytes(0xc0, 0x80)],
    ['an encoded surrogate', bytes(0xed, 0xa0, 0x80)],
    ['a code point above U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80)],
  ])('rejects %s instead of substituting U+FFFD', (_, input) => {
    expect(Buffer.from(input).toString('utf8')).toContain('\uFFFD');
    expect(decodeErrorOf(() => decodeUtf8(input, 'records[0].data')).message).toBe('records[0].data: not valid UTF-8');
  });
});

describe('parseJson', () => {
  it('parses JSON text', () => {
    expect(parseJson('{"a":[1,"b",null,true]}', 'x')).toEqual({ a: [1, 'b', null, true] });
  });

  it.each(['', 'hello', '{"a":1', "{'a':1}", '{"a":1}{}'])('rejects %j with the path and the parser detail', (text) => {
    const error = decodeErrorOf(() => parseJson(text, 'records[2].data'));
    expect(error.path).toBe('records[2].data');
    expect(error.message).toMatch(/^records\[2\]\.data: not valid JSON \(.+\)$/);
  });
});
