import { attributeToJson, isPlainObject, type BinaryEncoding } from './attribute-value.js';
import { DecodeError } from './decode-error.js';

const KEY_TYPES = new Set(['S', 'N', 'B']);

export interface CanonicalKey {
  /** JSON object text with the attribute names sorted: the same key always gives the same text. */
  readonly pk: string;
  /** The key attributes as JSON object text, in the record's order. */
  readonly keysJson: string;
  /** Each key attribute's value as JSON text, by name, to check the images against. */
  readonly values: ReadonlyMap<string, string>;
}

/** DynamoDB `Keys` → a canonical, injective text encoding (key attributes are S, N or B). */
export function canonicalKey(keys: unknown, binary: BinaryEncoding, path: string): CanonicalKey {
  if (!isPlainObject(keys)) throw new DecodeError(path, 'missing or not an object');
  const names = Object.keys(keys);
  if (names.length === 0 || names.length > 2) throw new DecodeError(path, 'must hold one or two key attributes');
  const values = new Map<string, string>();
  for (const name of names) {
    const value = keys[name];
    const type = isPlainObject(value) ? Object.keys(value)[0] : undefined;
    if (type === undefined || !KEY_TYPES.has(type)) {
      throw new DecodeError(`${path}[${JSON.stringify(name)}]`, 'a key attribute must be of type S, N or B');
    }
    values.set(name, attributeToJson(value, binary, `${path}[${JSON.stringify(name)}]`));
  }
  const entry = (name: string) => `${JSON.stringify(name)}:${values.get(name)}`;
  const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    pk: `{${sorted.map(entry).join(',')}}`,
    keysJson: `{${names.map(entry).join(',')}}`,
    values,
  };
}
