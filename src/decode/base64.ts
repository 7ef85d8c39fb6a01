import { DecodeError } from './decode-error.js';

// Node's Buffer.from(s, 'base64') skips invalid characters silently (CONTEXT.md §1): validate first.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isStrictBase64(text: string): boolean {
  return text.length % 4 === 0 && STRICT_BASE64.test(text);
}

/** Standard, padded base64 → bytes; anything else is a DecodeError at `path`. */
export function decodeBase64(text: string, path: string): Buffer {
  if (!isStrictBase64(text)) throw new DecodeError(path, 'not valid base64');
  return Buffer.from(text, 'base64');
}
