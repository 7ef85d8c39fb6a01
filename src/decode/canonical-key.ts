import { attributeToJson, isPlainObject, type BinaryEncoding } from './attribute-value.js';
import { DecodeError, within } from './decode-error.js';
import { jsonName } from './json-text.js';

const KEY_TYPES = new Set(['S', 'N', 'B']);

export interface CanonicalKey {
  /** JSON object text with the attribute names sorted: the same key always gives the same text. */
  readonly pk: string;
  /** The key attributes as JSON object text, in the record's order. */
  readonly keysJson: string;
  /** Each key attribute's name and value as JSON text, in the record's order, to check the images against. */
  readonly values: readonly (readonly [name: string, json: string])[];
}

/** DynamoDB `Keys` → a canonical, injective text encoding (key attributes are S, N or B). */
export function canonicalKey(keys: unknown, binary: BinaryEncoding, path: string): CanonicalKey {
  if (!isPlainObject(keys)) throw new DecodeError(path, 'missing or not an object');
  // DynamoDB keys have one attribute (partition) or two (partition and sort): no Map, no sort.
  const values: (readonly [string, string])[] = [];
  const entries: string[] = [];
  for (const name in keys) {
    if (values.length === 2) throw new DecodeError(path, 'must hold one or two key attributes');
    const value = keys[name];
    const type = isPlainObject(value) ? firstName(value) : undefined;
    const at = () => `${path}[${JSON.stringify(name)}]`;
    if (type === undefined || !KEY_TYPES.has(type)) throw new DecodeError(at(), 'a key attribute must be of type S, N or B');
    let json: string;
    try {
      json = attributeToJson(value, binary, '');
    } catch (error) {
      throw within(error, at());
    }
    values.push([name, json]);
    entries.push(`${jsonName(name)}:${json}`);
  }
  if (values.length === 0) throw new DecodeError(path, 'must hold one or two key attributes');
  const keysJson = entries.length === 1 ? `{${entries[0]}}` : `{${entries[0]},${entries[1]}}`;
  const pk = values.length === 2 && values[1]![0] < values[0]![0] ? `{${entries[1]},${entries[0]}}` : keysJson;
  return { pk, keysJson, values };
}

function firstName(value: Record<string, unknown>): string | undefined {
  for (const name in value) return name;
  return undefined;
}
