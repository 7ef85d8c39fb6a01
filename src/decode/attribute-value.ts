import { decodeBase64, isStrictBase64 } from './base64.js';
import { DecodeError, within } from './decode-error.js';
import { canonicalNumber, compareCanonicalNumbers } from './dynamo-number.js';
import { jsonName, jsonString } from './json-text.js';

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
  return atPath(path, () => mapToJson(item, binary, 0));
}

/** One attribute value → JSON text (used for keys as well as nested values). */
export function attributeToJson(value: unknown, binary: BinaryEncoding, path: string): string {
  return atPath(path, () => valueToJson(value, binary, 0));
}

// Paths are built only when something is wrong: each level that catches a DecodeError puts its
// own segment in front, so the happy path spends nothing on them.
function atPath<T>(prefix: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw within(error, prefix);
  }
}

function valueToJson(value: unknown, binary: BinaryEncoding, depth: number): string {
  if (!isPlainObject(value)) throw new DecodeError('', 'not an AttributeValue object');
  let type: string | undefined;
  let inner: unknown;
  for (const name in value) {
    if (type !== undefined || !TYPES.has(name)) type = '';
    else type = name;
    inner = value[name]; // read inside for-in, where the engine looks it up without a hash
  }
  if (!type) throw new DecodeError('', `not an AttributeValue (expected exactly one of ${[...TYPES].join(', ')})`);
  try {
    return typedValueToJson(type, inner, binary, depth);
  } catch (error) {
    throw within(error, `.${type}`);
  }
}

function typedValueToJson(type: string, inner: unknown, binary: BinaryEncoding, depth: number): string {
  switch (type) {
    case 'S':
      return jsonString(expectString(inner));
    case 'N':
      return canonicalNumber(expectString(inner), '');
    case 'B':
      return `"${binaryToBase64(expectString(inner), binary)}"`; // base64 needs no escaping
    case 'BOOL':
      if (typeof inner !== 'boolean') throw new DecodeError('', 'not a boolean');
      return inner ? 'true' : 'false';
    case 'NULL':
      if (inner !== true) throw new DecodeError('', 'must be true');
      return 'null';
    case 'M':
      return mapToJson(inner, binary, depth + 1);
    case 'L': {
      if (!Array.isArray(inner)) throw new DecodeError('', 'not an array');
      if (depth + 1 > MAX_DEPTH) throw new DecodeError('', `nested deeper than ${MAX_DEPTH} levels`);
      const parts = new Array<string>(inner.length);
      for (let i = 0; i < inner.length; i++) {
        try {
          parts[i] = valueToJson(inner[i], binary, depth + 1);
        } catch (error) {
          throw within(error, `[${i}]`);
        }
      }
      return `[${parts.join(',')}]`;
    }
    case 'SS':
      return stringSetJson(setOf(inner, (v) => expectString(v)));
    case 'NS':
      return numberSetJson(setOf(inner, (v) => canonicalNumber(expectString(v), '')));
    default: // BS
      return binarySetJson(setOf(inner, (v) => binaryToBase64(expectString(v), binary)));
  }
}

// Sets as JSON arrays in one order whatever the record's: strings and binary (as base64) by
// UTF-16 code units, numbers (canonical already) by value. Each sorts the array it is given.
export function stringSetJson(values: string[]): string {
  return `[${values.sort(compareStrings).map(jsonString).join(',')}]`;
}

export function numberSetJson(canonical: string[]): string {
  return `[${canonical.sort(compareCanonicalNumbers).join(',')}]`;
}

export function binarySetJson(base64: string[]): string {
  return `[${base64
    .sort(compareStrings)
    .map((s) => `"${s}"`)
    .join(',')}]`; // base64 needs no escaping
}

function mapToJson(map: unknown, binary: BinaryEncoding, depth: number): string {
  if (!isPlainObject(map)) throw new DecodeError('', 'not a map of attributes');
  if (depth > MAX_DEPTH) throw new DecodeError('', `nested deeper than ${MAX_DEPTH} levels`);
  let json = '{';
  for (const name in map) {
    if (name.length === 0) throw new DecodeError('', 'empty attribute name');
    const key = jsonName(name);
    let value: string;
    try {
      value = valueToJson(map[name], binary, depth);
    } catch (error) {
      throw within(error, `[${key}]`);
    }
    json += json.length === 1 ? `${key}:${value}` : `,${key}:${value}`;
  }
  return `${json}}`;
}

/** A B attribute's text as the record spells it → the standard base64 text of its bytes. */
export function binaryToBase64(text: string, binary: BinaryEncoding): string {
  if (binary === 'base64') {
    if (!isStrictBase64(text)) throw new DecodeError('', 'not valid base64');
    return text;
  }
  const inner = decodeBase64(text, '').toString('latin1');
  if (!isStrictBase64(inner)) throw new DecodeError('', 'not valid double base64 (Kinesis encodes binary twice)');
  return inner;
}

function setOf<T>(value: unknown, item: (v: unknown) => T): T[] {
  if (!Array.isArray(value)) throw new DecodeError('', 'not an array');
  if (value.length === 0) throw new DecodeError('', 'a set cannot be empty');
  return value.map((v, i) => {
    try {
      return item(v);
    } catch (error) {
      throw within(error, `[${i}]`);
    }
  });
}

function expectString(value: unknown): string {
  if (typeof value !== 'string') throw new DecodeError('', 'not a string');
  return value;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
