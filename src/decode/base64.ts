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

function wordsOf(buffer: Buffer): Uint32Array | undefined {
  return buffer.byteOffset % 4 === 0 ? new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 2) : undefined;
}

/** A record's JSON text, and whether it is `plain`: JsonCursor's word for text it need not look into. */
export interface RecordText {
  readonly text: string;
  readonly plain: boolean;
}

/**
 * Base64 of UTF-8 JSON → its text (decodeUtf8's, which refuses invalid UTF-8 at `path`). `plain`
 * when it is ASCII (what AWS sends) without a backslash or a control character: found in the
 * decoded bytes four at a time, which costs a fraction of JsonCursor's own look at the text and
 * of a separate check for ASCII, and the text is then the bytes' Latin-1.
 */
export function decodeBase64Text(text: string, path: string): RecordText {
  const length = decodeBase64Shared(text, path);
  const plain = isSharedPlain(length);
  return { text: sharedText(length, plain, path), plain };
}

/**
 * Base64 → bytes in a buffer shared from call to call (a record then allocates no buffer of its
 * own): answers their number; they are `sharedBytes()`'s first, until the next call, and the
 * buffer holds at least four bytes more, which its readers may write.
 */
export function decodeBase64Shared(text: string, path: string): number {
  if (text.length % 4 === 0) {
    if (text.length > scratch.length) words = wordsOf((scratch = Buffer.allocUnsafe(text.length + 4)));
    const length = scratch.write(text, 'base64');
    if (wholeDecode(text, length)) return length;
  }
  throw new DecodeError(path, 'not valid base64');
}

/**
 * Base64 text that is a span of bytes (a Firehose body's `data`, read where it lies) → bytes in
 * the shared buffer, as decodeBase64Shared: valid exactly when decodeBase64 would take the text.
 * Decoded here, a sextet at a time: Node decodes base64 only from a string, and the string of a
 * body's base64 was the largest thing a record allocated (about half of a small one's bytes).
 */
export function decodeBase64SpanShared(source: Uint8Array, start: number, end: number, path: string): number {
  const n = end - start;
  if (n % 4 !== 0) throw new DecodeError(path, 'not valid base64');
  if (n > scratch.length) words = wordsOf((scratch = Buffer.allocUnsafe(n + 4)));
  const padding = n === 0 || source[end - 1] !== EQUALS ? 0 : source[end - 2] === EQUALS ? 2 : 1;
  const whole = padding === 0 ? end : end - 4;
  const out = scratch;
  const s18 = SEXTET_18;
  const s12 = SEXTET_12;
  const s6 = SEXTET_6;
  const s0 = SEXTET_0;
  let o = 0;
  let invalid = 0;
  for (let i = start; i < whole; i += 4) {
    const quad = s18[source[i]!]! | s12[source[i + 1]!]! | s6[source[i + 2]!]! | s0[source[i + 3]!]!;
    invalid |= quad; // a character outside the alphabet is -1: every bit set
    out[o] = quad >> 16;
    out[o + 1] = quad >> 8;
    out[o + 2] = quad;
    o += 3;
  }
  if (padding > 0) {
    const quad = s18[source[whole]!]! | s12[source[whole + 1]!]! | (padding === 1 ? s6[source[whole + 2]!]! : 0);
    invalid |= quad;
    out[o++] = quad >> 16;
    if (padding === 1) out[o++] = quad >> 8;
  }
  if (invalid < 0) throw new DecodeError(path, 'not valid base64');
  return o;
}

const EQUALS = 0x3d;
// Each byte's value as a base64 character, shifted to its place in a quad's 24 bits (18, 12, 6
// and 0 bits); -1 outside the standard alphabet (`=` included).
const SEXTET_18 = sextets(18);
const SEXTET_12 = sextets(12);
const SEXTET_6 = sextets(6);
const SEXTET_0 = sextets(0);

function sextets(shift: number): Int32Array {
  const table = new Int32Array(256).fill(-1);
  Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1').forEach((code, value) => (table[code] = value << shift));
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
