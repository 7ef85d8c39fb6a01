import { decodeBase64, isStrictBase64 } from './base64.js';
import { DecodeError } from './decode-error.js';
import { canonicalNumber, compareCanonicalNumbers } from './dynamo-number.js';

/**
 * How a record spells binary: Kinesis-for-DynamoDB records base64-encode it twice, DynamoDB
 * Streams records once (CONTEXT.md §2).
 */
export type BinaryEncoding = 'double-base64' | 'base64';

// DynamoDB allows 32 levels of nesting; deeper input is not a DynamoDB item.
const MAX_DEPTH = 32;
const TYPES = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS']);

/**
 * A DynamoDB item (attribute name → AttributeValue) → JSON object text. Numbers are written as
 * their exact canonical decimal, binary as the base64 of the item's bytes, sets as sorted arrays.
 */
export function itemToJson(item: unknown, binary: BinaryEncoding, path: string): string {
  return mapToJson(item, binary, path, 0);
}

/** One attribute value → JSON text (used for keys as well as nested values). */
export function attributeToJson(value: unknown, binary: BinaryEncoding, path: string, depth = 0): string {
  if (!isPlainObject(value)) throw new DecodeError(path, 'not an AttributeValue object');
  const names = Object.keys(value);
  const type = names[0];
  if (names.length !== 1 || type === undefined || !TYPES.has(type)) {
    throw new DecodeError(path, `not an AttributeValue (expected exactly one of ${[...TYPES].join(', ')})`);
  }
  const inner = value[type];
  const at = `${path}.${type}`;
  switch (type) {
    case 'S':
      return JSON.stringify(expectString(inner, at));
    case 'N':
      return canonicalNumber(expectString(inner, at), at);
    case 'B':
      return JSON.stringify(binaryToBase64(inner, binary, at));
    case 'BOOL':
      if (typeof inner !== 'boolean') throw new DecodeError(at, 'not a boolean');
      return inner ? 'true' : 'false';
    case 'NULL':
      if (inner !== true) throw new DecodeError(at, 'must be true');
      return 'null';
    case 'M':
      return mapToJson(inner, binary, at, depth + 1);
    case 'L': {
      if (!Array.isArray(inner)) throw new DecodeError(at, 'not an array');
      if (depth + 1 > MAX_DEPTH) throw new DecodeError(at, `nested deeper than ${MAX_DEPTH} levels`);
      return `[${inner.map((v, i) => attributeToJson(v, binary, `${at}[${i}]`, depth + 1)).join(',')}]`;
    }
    case 'SS':
      return `[${setOf(inner, at, (v, p) => expectString(v, p)).sort(compareStrings).map((s) => JSON.stringify(s)).join(',')}]`;
    case 'NS':
      return `[${setOf(inner, at, (v, p) => canonicalNumber(expectString(v, p), p)).sort(compareCanonicalNumbers).join(',')}]`;
    default: // BS
      return `[${setOf(inner, at, (v, p) => binaryToBase64(v, binary, p)).sort(compareStrings).map((s) => JSON.stringify(s)).join(',')}]`;
  }
}

function mapToJson(map: unknown, binary: BinaryEncoding, path: string, depth: number): string {
  if (!isPlainObject(map)) throw new DecodeError(path, 'not a map of attributes');
  if (depth > MAX_DEPTH) throw new DecodeError(path, `nested deeper than ${MAX_DEPTH} levels`);
  const parts: string[] = [];
  for (const name of Object.keys(map)) {
    if (name.length === 0) throw new DecodeError(path, 'empty attribute name');
    parts.push(`${JSON.stringify(name)}:${attributeToJson(map[name], binary, `${path}[${JSON.stringify(name)}]`, depth)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Returns the standard base64 text of the attribute's bytes. */
function binaryToBase64(value: unknown, binary: BinaryEncoding, path: string): string {
  const text = expectString(value, path);
  if (binary === 'base64') {
    if (!isStrictBase64(text)) throw new DecodeError(path, 'not valid base64');
    return text;
  }
  const inner = decodeBase64(text, path).toString('latin1');
  if (!isStrictBase64(inner)) throw new DecodeError(path, 'not valid double base64 (Kinesis encodes binary twice)');
  return inner;
}

function setOf<T>(value: unknown, path: string, item: (v: unknown, p: string) => T): T[] {
  if (!Array.isArray(value)) throw new DecodeError(path, 'not an array');
  if (value.length === 0) throw new DecodeError(path, 'a set cannot be empty');
  return value.map((v, i) => item(v, `${path}[${i}]`));
}

function expectString(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new DecodeError(path, 'not a string');
  return value;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
