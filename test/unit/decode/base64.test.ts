import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAscii } from 'node:buffer';
import {
  decodeBase64,
  decodeBase64Shared,
  decodeBase64SpanShared,
  isSharedPlain,
  isStrictBase64,
  sharedBytes,
  sharedText,
} from '../../../src/decode/base64.js';
import { decodeUtf8 } from '../../../src/decode/utf8-json.js';
import { decodeErrorOf } from '../../support/decode-errors.js';

describe('isStrictBase64', () => {
  it.each(['', 'aGVsbG8=', 'aGVsbG8gd29ybGQ=', 'aGk=', 'YWJj', 'EgIIew==', '+/+/'])('accepts standard padded base64 %j', (text) => {
    expect(isStrictBase64(text)).toBe(true);
  });

  it.each([
    ['missing padding', 'aGVsbG8'],
    ['length not a multiple of 4', 'aGVsbG8=='],
    ['a character outside the alphabet', 'aGVs!G8='],
    ['URL-safe alphabet', 'a-_b'],
    ['padding in the middle', 'aG==bG8='],
    ['three padding characters', 'a==='],
    ['whitespace', 'aGVs bG8='],
    ['a line break', 'aGVs\nbG8='],
  ])('rejects %s (%j)', (_, text) => {
    expect(isStrictBase64(text)).toBe(false);
  });

  it("is needed because Node's Buffer silently accepts the same inputs", () => {
    expect(Buffer.from('aGVsbG8', 'base64').toString()).toBe('hello');
    expect(Buffer.from('aGVs!bG8=', 'base64').toString()).toBe('hello');
  });

  it('accepts whatever Buffer encodes, for any bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => isStrictBase64(Buffer.from(bytes).toString('base64'))));
  });
});

describe('decodeBase64', () => {
  it('returns the bytes', () => {
    expect([...decodeBase64('EgIIew==', 'x')]).toEqual([18, 2, 8, 123]);
    expect(decodeBase64('', 'x').length).toBe(0);
  });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect([...decodeBase64(Buffer.from(bytes).toString('base64'), 'x')]).toEqual([...bytes]);
      }),
    );
  });

  it('throws a DecodeError naming the path', () => {
    const error = decodeErrorOf(() => decodeBase64('aGVsbG8', 'records[3].data'));
    expect(error).toMatchObject({ code: 'DECODE_ERROR', path: 'records[3].data', reason: 'not valid base64' });
    expect(error.message).toBe('records[3].data: not valid base64');
  });
});

describe('isStrictBase64 on large values', () => {
  it('checks a multi-megabyte value without running out of stack', () => {
    const large = Buffer.alloc(6 * 1024 * 1024, 7).toString('base64');
    expect(isStrictBase64(large)).toBe(true);
    expect(isStrictBase64(`${large.slice(0, -4)}A=B=`)).toBe(false);
  });
});

describe('decodeBase64 against the strict pattern', () => {
  // Its length check stands in for the pattern: both must agree on every text, tricky ones included.
  const tricky = fc.string({ unit: fc.constantFrom(...'AQab09+/=-_ *!\n.é\u0000'.split('')), maxLength: 16 });
  const valid = fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64'));
  it('decodes exactly the texts isStrictBase64 accepts, to the bytes they encode', () => {
    fc.assert(
      fc.property(fc.oneof(tricky, valid), (text) => {
        let decoded: Buffer | null = null;
        try {
          decoded = decodeBase64(text, 'x');
        } catch {
          decoded = null;
        }
        expect(decoded !== null, JSON.stringify(text)).toBe(isStrictBase64(text));
        if (decoded) expect(decoded.equals(Buffer.from(text, 'base64'))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('decodeBase64SpanShared: decodeBase64 of a span of bytes', () => {
  const unit = fc.constantFrom(...'AQab09+/=-_ *!\n.é\u0000"'.split(''));
  const text = fc.oneof(
    fc.string({ unit, maxLength: 16 }),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')),
    fc.uint8Array({ minLength: 60_000, maxLength: 70_000 }).map((b) => Buffer.from(b).toString('base64')),
  );
  it('takes exactly what decodeBase64 takes, to the same bytes, wherever the span lies', () => {
    fc.assert(
      fc.property(text, fc.string({ unit, maxLength: 5 }), fc.string({ unit, maxLength: 5 }), (data, before, after) => {
        const body = Buffer.from(before + data + after, 'utf8');
        const start = Buffer.byteLength(before, 'utf8');
        const end = start + Buffer.byteLength(data, 'utf8');
        const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
        let expected: Buffer | 'refused';
        try {
          expected = decodeBase64(data, 'x');
        } catch {
          expect(decodeErrorOf(() => decodeBase64SpanShared(view, start, end, 'records[2].data')).message).toBe('records[2].data: not valid base64');
          expected = 'refused';
        }
        if (expected !== 'refused') {
          const length = decodeBase64SpanShared(view, start, end, 'x');
          expect(sharedBytes().subarray(0, length).equals(expected)).toBe(true);
        }
      }),
      { numRuns: 5_000 },
    );
  });
});

/** What decode-record.ts does with a record's base64: its text, and whether the readers may take it as plain. */
function decodeBase64Text(text: string, path: string): { text: string; plain: boolean } {
  const length = decodeBase64Shared(text, path);
  const plain = isSharedPlain(length);
  return { text: sharedText(length, plain, path), plain };
}

describe('decodeBase64Shared, isSharedPlain and sharedText: the text decodeUtf8 reads, and whether the readers may take it as plain', () => {
  /** What JsonCursor finds for itself: no escape, control character or surrogate. */
  const plainText = (text: string) => !/[\\\u0000-\u001f\ud800-\udfff]/.test(text);
  // Bytes of every kind, and JSON-like ASCII that now and then holds a backslash or a control
  // character, at every length (the check reads four bytes at a time) and on either side of a
  // longer record (the shared buffer keeps what the last one left).
  const byte = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...'{}[]:,"abcAZ09 .-'.split('').map((c) => c.charCodeAt(0))) },
    { weight: 1, arbitrary: fc.constantFrom(0x5c, 0x00, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xc3, 0xa9, 0xff) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
  );
  const bytes = fc.oneof(fc.array(byte, { maxLength: 40 }), fc.array(byte, { minLength: 200, maxLength: 3000 })).map((b) => Buffer.from(b));

  it('agrees with decodeUtf8 and with the plain test on the text, for any bytes', () => {
    fc.assert(
      fc.property(fc.array(bytes, { minLength: 1, maxLength: 4 }), (records) => {
        for (const b of records) {
          let expected: string | 'refused';
          try {
            expected = decodeUtf8(b, 'x');
          } catch {
            expected = 'refused';
          }
          let got: { text: string; plain: boolean } | 'refused';
          try {
            got = decodeBase64Text(b.toString('base64'), 'x');
          } catch {
            got = 'refused';
          }
          if (expected === 'refused') expect(got).toBe('refused');
          else expect(got).toEqual({ text: expected, plain: isAscii(b) && plainText(expected) });
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('refuses what decodeBase64 refuses, naming the path', () => {
    for (const text of ['aGVsbG8', 'aGVs!G8=', 'a-_b', 'aGVs bG8=']) {
      expect(decodeErrorOf(() => decodeBase64Text(text, 'records[1].data')).message).toBe('records[1].data: not valid base64');
    }
    expect(decodeErrorOf(() => decodeBase64Text(Buffer.from([0xc3]).toString('base64'), 'records[1].data')).message).toBe('records[1].data: not valid UTF-8');
  });

  it('reads a record longer than the shared buffer', () => {
    const long = Buffer.from(`{"s":"${'x'.repeat(100_000)}"}`);
    expect(decodeBase64Text(long.toString('base64'), 'x')).toEqual({ text: long.toString('latin1'), plain: true });
    expect(decodeBase64Text(Buffer.from('{"s":"a\\n"}').toString('base64'), 'x').plain).toBe(false);
  });
});
