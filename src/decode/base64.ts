import { DecodeError } from './decode-error.js';

// Node's Buffer.from(s, 'base64') skips invalid characters silently (CONTEXT.md §1): validate first.
// One character class, no groups: linear and stack-free on multi-megabyte values.
const BASE64_TEXT = /^[A-Za-z0-9+/]*={0,2}$/;

export function isStrictBase64(text: string): boolean {
  return text.length % 4 === 0 && BASE64_TEXT.test(text);
}

/** Standard, padded base64 → bytes; anything else is a DecodeError at `path`. */
export function decodeBase64(text: string, path: string): Buffer {
  if (!isStrictBase64(text)) throw new DecodeError(path, 'not valid base64');
  return Buffer.from(text, 'base64');
}
