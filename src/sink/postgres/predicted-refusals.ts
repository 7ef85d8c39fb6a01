/**
 * Refusals PostgreSQL is certain to make, predicted per row before the write, so that such rows
 * are dead-lettered without costing a statement (and without making their neighbours' statement
 * fail and be split). Pure: text in, a reason or null out.
 */

/**
 * The B-tree limit on one index entry with PostgreSQL's 8 KiB pages ("index row size … exceeds
 * btree version 4 maximum 2704"). Compression may squeeze a longer value under it; the check
 * does not guess at compression, so the outcome depends only on the value's length.
 */
export const BTREE_MAX_BYTES = 2704;

/**
 * Why `jsonb` cannot hold this JSON text, or null. PostgreSQL's jsonb (and text) cannot hold
 * U+0000 (`\u0000`: "unsupported Unicode escape sequence") nor a lone surrogate (`\ud800` without
 * its low half: "invalid input syntax"); a lone surrogate that is a raw character of the JS string
 * would be turned into U+FFFD by the UTF-8 encoding on the way, silently, so it is refused too.
 */
export function jsonbRefusal(json: string): string | null {
  if (!isWellFormed(json)) return 'a string holds a lone surrogate, which UTF-8 (and so PostgreSQL) cannot encode';
  let at = json.indexOf('\\');
  while (at >= 0) {
    if (json.charCodeAt(at + 1) === 0x75 /* u */) {
      const code = hexAt(json, at + 2);
      if (code === 0) return 'a string holds U+0000, which PostgreSQL text and jsonb cannot hold';
      if (code >= 0xd800 && code <= 0xdbff) {
        const next = json.startsWith('\\u', at + 6) ? hexAt(json, at + 8) : -1;
        if (next < 0xdc00 || next > 0xdfff) return loneSurrogate(code);
        at += 6; // the pair's low half is consumed with it
      } else if (code >= 0xdc00 && code <= 0xdfff) {
        return loneSurrogate(code);
      }
    }
    // Every escape is at least two characters: `\\` must not make the second backslash start one.
    at = json.indexOf('\\', at + 2);
  }
  return null;
}

/** Why a value cannot be a B-tree index key (`what` names it), or null. */
export function indexKeyRefusal(value: string, what: string): string | null {
  const bytes = Buffer.byteLength(value);
  return bytes > BTREE_MAX_BYTES ? `${what} is ${bytes} bytes, over PostgreSQL's ${BTREE_MAX_BYTES}-byte limit for an index entry` : null;
}

// String.prototype.isWellFormed is in Node 20 (V8 11.3) but in TypeScript's ES2024 library only.
function isWellFormed(text: string): boolean {
  return (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

function hexAt(text: string, at: number): number {
  const hex = text.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(hex) ? Number.parseInt(hex, 16) : -1;
}

function loneSurrogate(code: number): string {
  return `a string holds a lone surrogate (U+${code.toString(16).toUpperCase()}), which PostgreSQL jsonb cannot hold`;
}
