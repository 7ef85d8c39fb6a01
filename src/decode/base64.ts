import { DecodeError } from './decode-error.js';

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

let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * decodeBase64 into a buffer shared from call to call: the bytes are valid only until the next
 * call, for a caller that reads them at once (a record's JSON, turned into text). A record then
 * allocates no buffer of its own.
 */
export function decodeBase64Transient(text: string, path: string): Buffer {
  if (text.length % 4 === 0) {
    if (text.length > scratch.length) scratch = Buffer.allocUnsafe(text.length);
    const length = scratch.write(text, 'base64');
    if (wholeDecode(text, length)) return scratch.subarray(0, length);
  }
  throw new DecodeError(path, 'not valid base64');
}

function wholeDecode(text: string, length: number): boolean {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return length === (text.length / 4) * 3 - padding && !text.includes('-') && !text.includes('_');
}
