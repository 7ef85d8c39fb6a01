import { DecodeError } from './decode-error.js';
import { decodeUtf8 } from './utf8-json.js';

// Node's Buffer.from(s, 'base64') skips invalid characters silently (CONTEXT.md §1): validate first.
// One character class, no groups: linear and stack-free on multi-megabyte values.
const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

export function isStrictBase64(text: string): boolean {
  return text.length % 4 === 0 && BASE64_TEXT.test(text);
}

/**
 * Standard, padded base64 → bytes; anything else is a DecodeError at `path`. Node decodes
 * leniently (it skips characters outside the alphabet and takes the URL-safe `-` and `_`), so
 * a text is valid exactly when it has whole quads, no `-` or `_`, and every character counted:
 * the bytes are as many as its length and padding say. Cheaper than a pattern over the text.
 */
export function decodeBase64(text: string, path: string): Buffer {
  if (text.length % 4 === 0) {
    const bytes = Buffer.from(text, 'base64');
    if (wholeDecode(text, bytes.length)) return bytes;
  }
  throw new DecodeError(path, 'not valid base64');
}

// Room for three bytes of padding past the longest decoded text (isSharedPlain reads whole words).
let scratch = Buffer.allocUnsafe(64 * 1024);
let words = wordsOf(scratch);
let scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);

/** The shared buffer, and its views, large enough for the bytes of `base64Length` characters. */
function makeRoom(base64Length: number): void {
  if (base64Length <= scratch.length) return;
  scratch = Buffer.allocUnsafe(base64Length + 4);
  words = wordsOf(scratch);
  scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
}

function wordsOf(buffer: Buffer): Uint32Array | undefined {
  return buffer.byteOffset % 4 === 0 ? new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 2) : undefined;
}

/**
 * Base64 → bytes in a buffer shared from call to call (a record then allocates no buffer of its
 * own): answers their number; they are `sharedBytes()`'s first, until the next call, and the
 * buffer holds at least four bytes more, which its readers may write.
 */
export function decodeBase64Shared(text: string, path: string): number {
  if (text.length % 4 === 0) {
    makeRoom(text.length);
    const length = scratch.write(text, 'base64');
    if (wholeDecode(text, length)) return length;
  }
  throw new DecodeError(path, 'not valid base64');
}

/**
 * Base64 text that is a span of bytes (a Firehose body's `data`, read where it lies, through a
 * view of the body) → bytes in the shared buffer, as decodeBase64Shared: valid exactly when
 * decodeBase64 would take the text. Decoded here, a quad of characters at a time, read and
 * written as one little-endian word: Node decodes base64 only from a string, and the string of a
 * body's base64 was the largest thing a record allocated (about half of a small one's bytes).
 */
export function decodeBase64SpanShared(source: DataView, start: number, end: number, path: string): number {
  const n = end - start;
  if (n % 4 !== 0) throw new DecodeError(path, 'not valid base64');
  makeRoom(n);
  const padding = n === 0 || source.getUint8(end - 1) !== EQUALS ? 0 : source.getUint8(end - 2) === EQUALS ? 2 : 1;
  const whole = padding === 0 ? end : end - 4;
  const out = scratchView;
  const t0 = SEXTET_0;
  const t1 = SEXTET_1;
  const t2 = SEXTET_2;
  const t3 = SEXTET_3;
  let o = 0;
  let invalid = 0;
  for (let i = start; i < whole; i += 4) {
    const chars = source.getUint32(i, true);
    const word = t0[chars & 0xff]! | t1[(chars >>> 8) & 0xff]! | t2[(chars >>> 16) & 0xff]! | t3[chars >>> 24]!;
    invalid |= word; // a character outside the alphabet is -1: every bit set
    out.setUint32(o, word, true); // the fourth byte is the next word's first, or past the end
    o += 3;
  }
  if (padding > 0) {
    const word = t0[source.getUint8(whole)]! | t1[source.getUint8(whole + 1)]! | (padding === 1 ? t2[source.getUint8(whole + 2)]! : 0);
    invalid |= word;
    out.setUint8(o++, word & 0xff);
    if (padding === 1) out.setUint8(o++, (word >>> 8) & 0xff);
  }
  if (invalid < 0) throw new DecodeError(path, 'not valid base64');
  return o;
}

const EQUALS = 0x3d;
// What each byte adds, as the character at each place of a quad, to the little-endian word of
// the quad's three bytes (sextets a, b, c, d make the bytes a<<2|b>>4, (b&15)<<4|c>>2, (c&3)<<6|d);
// -1 outside the standard alphabet (`=` included).
const SEXTET_0 = sextets((v) => v << 2);
const SEXTET_1 = sextets((v) => (v >> 4) | ((v & 15) << 12));
const SEXTET_2 = sextets((v) => ((v >> 2) << 8) | ((v & 3) << 22));
const SEXTET_3 = sextets((v) => v << 16);

function sextets(contribution: (value: number) => number): Int32Array {
  const table = new Int32Array(256).fill(-1);
  Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1').forEach((code, value) => (table[code] = contribution(value)));
  return table;
}

export function sharedBytes(): Buffer {
  return scratch;
}

/** The shared bytes as text: their Latin-1 when `plain` (isSharedPlain), else their UTF-8, refused at `path` when invalid. */
export function sharedText(length: number, plain: boolean, path: string): string {
  return plain ? scratch.toString('latin1', 0, length) : decodeUtf8(scratch.subarray(0, length), path);
}

const HIGH_BITS = 0x80808080;
const ONES = 0x01010101;

/** The shared buffer's first `length` bytes are below 0x80, none below 0x20 and none 0x5c (`\`). */
export function isSharedPlain(length: number): boolean {
  if (words === undefined) return false; // JsonCursor looks for itself
  // Spaces up to the word's end: they pass, and they lie past the text.
  scratch[length] = 0x20;
  scratch[length + 1] = 0x20;
  scratch[length + 2] = 0x20;
  const count = (length + 3) >>> 2;
  for (let i = 0; i < count; i++) {
    const w = words[i]!;
    if ((w & HIGH_BITS) !== 0) return false;
    // A byte below 0x20 has its three top bits clear; a backslash xor 0x5c is zero: a zero byte
    // in either word, found without a loop over the bytes (bytes below 0x80 cannot carry).
    const top = w & 0xe0e0e0e0;
    const backslash = w ^ 0x5c5c5c5c;
    if (((top - ONES) & ~top & HIGH_BITS) !== 0 || ((backslash - ONES) & ~backslash & HIGH_BITS) !== 0) return false;
  }
  return true;
}

function wholeDecode(text: string, length: number): boolean {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return length === (text.length / 4) * 3 - padding && !text.includes('-') && !text.includes('_');
}
