import { isAscii } from 'node:buffer';
import { DecodeError } from './decode-error.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → text, refusing invalid UTF-8 instead of replacing it with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, path: string): string {
  // ASCII (what AWS sends, mostly) is valid UTF-8, its own Latin-1, and holds no BOM to strip.
  if (isAscii(bytes)) return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('latin1');
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new DecodeError(path, 'not valid UTF-8');
  }
}

export function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new DecodeError(path, `not valid JSON (${detail})`);
  }
}
