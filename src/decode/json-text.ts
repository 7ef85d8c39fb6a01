/**
 * JSON string literals, as JSON.stringify writes them, for the hot paths of item serialization.
 * JSON.stringify escapes `"`, `\`, control characters and lone surrogates: text without any of
 * these (and without surrogates at all, to keep the test simple) is quoted as it is.
 */
const NEEDS_ESCAPING = /["\\\u0000-\u001f\ud800-\udfff]/;

export function jsonString(text: string): string {
  return NEEDS_ESCAPING.test(text) ? JSON.stringify(text) : `"${text}"`;
}

// Attribute names repeat from record to record: remember their literals, up to a bound, so that
// a stream of ever-new names cannot grow the cache without end.
const MAX_NAMES = 4096;
const names = new Map<string, string>();

export function jsonName(name: string): string {
  let literal = names.get(name);
  if (literal === undefined) {
    if (names.size >= MAX_NAMES) names.clear();
    names.set(name, (literal = jsonString(name)));
  }
  return literal;
}
