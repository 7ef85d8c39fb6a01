import { binarySetJson, binaryToBase64, numberSetJson, stringSetJson } from './attribute-value.js';
import { isTtlPrincipal, kinesisVersion } from './cdc-record.js';
import { aheadOfBounds, type ChangeBounds } from './change-bounds.js';
import type { Change, EventName } from './change.js';
import { DecodeError } from './decode-error.js';
import { canonicalNumber } from './dynamo-number.js';
import { CHAR, JsonCursor, UNUSUAL } from './json-cursor.js';
import { jsonName, jsonString } from './json-text.js';

/**
 * A Kinesis-for-DynamoDB record's JSON text → its Change, read once from the text: the item's
 * JSON and the canonical key are written as the attributes are read, with no parsed record in
 * between to walk and serialize again. Undefined for anything but the usual record, and then
 * `decodeCdcRecord(JSON.parse(text))` decides, with its messages: a DynamoDB Streams record, an
 * escape in a field the Change carries as it stands, an attribute name the engine would enumerate
 * out of order (one starting with a digit) or that repeats, a map of more than 64 attributes,
 * anything wrong. When it answers, it is what that path answers (a property test holds the two
 * together).
 */
export function decodeCdcText(text: string, bounds: ChangeBounds, plain = false): Change | undefined {
  try {
    return readRecord(new JsonCursor(text, plain), bounds);
  } catch (error) {
    if (error === UNUSUAL || error instanceof DecodeError) return undefined;
    throw error;
  } finally {
    // Popped, not cut by setting their length: that is a call into the runtime each time.
    truncate(names, 0);
    truncate(newAttributes, 0);
    truncate(oldAttributes, 0);
    for (const list of pieces) truncate(list, 0);
  }
}

// DynamoDB allows 32 levels of nesting (attribute-value.ts counts them the same way).
const MAX_DEPTH = 32;
const MAX_NAMES_PER_MAP = 64;
const { OBJECT, OBJECT_END, ARRAY, ARRAY_END, COLON, COMMA } = CHAR;
const S = 0x53;
const N = 0x4e;
const B = 0x42;

function truncate(list: string[], length: number): void {
  while (list.length > length) list.pop();
}

// Scratch space, reused from record to record (the reader is synchronous): the names of the maps
// being read, to find a repeated one; each image's top-level attributes (name, JSON, name, …).
const names: string[] = [];
const newAttributes: string[] = [];
const oldAttributes: string[] = [];
// The pieces of the JSON of the map or list being read at each depth (no two at one depth are
// being read at once). A map's JSON is joined from them in one flat string of characters of its
// own: no string built up piece by piece, nor a slice of the record's text kept alive in it.
const pieces: string[][] = [];

interface Key {
  readonly pk: string;
  readonly keysJson: string;
  /** name, JSON, name, JSON: one or two attributes. */
  readonly attributes: readonly string[];
}

function readRecord(c: JsonCursor, bounds: ChangeBounds): Change {
  let eventName: EventName | undefined;
  let eventId: string | undefined;
  let tableName: string | undefined;
  let identity: unknown = null;
  let stream: Stream | undefined;
  let seen = 0;
  const once = (bit: number) => {
    if (seen & bit) throw UNUSUAL; // JSON.parse keeps the last of repeated fields: leave them to it
    seen |= bit;
  };
  c.expect(OBJECT);
  if (!c.take(OBJECT_END)) {
    do {
      c.string();
      c.expect(COLON);
      if (c.is('eventName')) {
        once(1);
        eventName = readEventName(c);
      } else if (c.is('eventID')) {
        once(2);
        eventId = c.plainString();
      } else if (c.is('tableName')) {
        once(4);
        tableName = readTableName(c);
      } else if (c.is('userIdentity')) {
        once(8);
        identity = c.word('null') ? null : c.value();
      } else if (c.is('dynamodb')) {
        once(16);
        stream = readStream(c);
      } else if (c.is('eventSourceARN') || c.is('eventVersion'))
        throw UNUSUAL; // DynamoDB Streams
      else c.skipValue();
    } while (c.take(COMMA));
    c.expect(OBJECT_END);
  }
  c.expectEnd();

  if (eventName === undefined || !eventId || !tableName || !stream?.key) throw UNUSUAL;
  const { key, newImage, oldImage } = stream;
  if (newImage !== null) checkKey(newAttributes, key);
  if (oldImage !== null) checkKey(oldAttributes, key);
  if (eventName !== 'REMOVE' && newImage === null) throw UNUSUAL;
  const version = kinesisVersion(stream.time, stream.precision, NO_PATH);
  if (aheadOfBounds(version, bounds) !== null) throw UNUSUAL;
  return {
    format: 'kinesis',
    sourceTable: tableName,
    eventId: detached(eventId),
    eventName,
    ttl: eventName === 'REMOVE' && isTtlPrincipal(identity),
    version,
    sequence: null,
    pk: key.pk,
    keysJson: key.keysJson,
    newImageJson: eventName === 'REMOVE' ? null : newImage,
    oldImageJson: oldImage,
  };
}

/**
 * `text` in characters of its own. What the reader writes is made of slices of the record's text,
 * and V8 keeps a slice's whole parent alive: held until the write, the 10,000 records of a 64 MiB
 * delivery would stay in memory beside their items (peak RSS grew by a seventh). Prepending a
 * character and slicing it off again copies the characters into one flat string (V8 flattens
 * before slicing), which is also what the sink would do later.
 */
function detached(text: string): string {
  return text.length < 13 ? text : ` ${text}`.slice(1); // shorter slices are copies already
}

const NO_PATH = () => '';

/** INSERT, MODIFY or REMOVE, as the constant: nothing to allocate or to look up. */
function readEventName(c: JsonCursor): EventName {
  c.string();
  if (c.parsed === undefined) {
    if (c.is('INSERT')) return 'INSERT';
    if (c.is('MODIFY')) return 'MODIFY';
    if (c.is('REMOVE')) return 'REMOVE';
  }
  throw UNUSUAL;
}

/** The table name read last: a delivery's records mostly name one table, spelled once in memory. */
let lastTableName = '';

function readTableName(c: JsonCursor): string {
  c.string();
  if (c.parsed !== undefined) throw UNUSUAL;
  if (!c.is(lastTableName)) lastTableName = detached(c.text.slice(c.start, c.end));
  return lastTableName;
}

interface Stream {
  key: Key | undefined;
  newImage: string | null;
  oldImage: string | null;
  /** ApproximateCreationDateTime and its precision, for kinesisVersion. */
  time: number | undefined;
  precision: string | undefined;
}

function readStream(c: JsonCursor): Stream {
  const stream: Stream = { key: undefined, newImage: null, oldImage: null, time: undefined, precision: undefined };
  let seen = 0;
  const once = (bit: number) => {
    if (seen & bit) throw UNUSUAL;
    seen |= bit;
  };
  c.expect(OBJECT);
  if (c.take(OBJECT_END)) return stream;
  do {
    c.string();
    c.expect(COLON);
    if (c.is('Keys')) {
      once(1);
      stream.key = readKey(c);
    } else if (c.is('NewImage')) {
      once(2);
      stream.newImage = readImage(c, newAttributes);
    } else if (c.is('OldImage')) {
      once(4);
      stream.oldImage = readImage(c, oldAttributes);
    } else if (c.is('ApproximateCreationDateTime')) {
      once(8);
      stream.time = c.number();
    } else if (c.is('ApproximateCreationDateTimePrecision')) {
      once(16);
      stream.precision = c.plainString();
    } else if (c.is('SequenceNumber'))
      throw UNUSUAL; // DynamoDB Streams
    else c.skipValue();
  } while (c.take(COMMA));
  c.expect(OBJECT_END);
  return stream;
}

/** The image's attributes hold the key's, spelled as in Keys (what cdc-record.ts checks). */
function checkKey(attributes: readonly string[], key: Key): void {
  for (let k = 0; k < key.attributes.length; k += 2) {
    let found = false;
    for (let i = 0; i < attributes.length && !found; i += 2) {
      if (attributes[i] === key.attributes[k]) {
        if (attributes[i + 1] !== key.attributes[k + 1]) throw UNUSUAL;
        found = true;
      }
    }
    if (!found) throw UNUSUAL;
  }
}

/**
 * `Keys`: one or two attributes of type S, N or B → canonical-key.ts's pk and keysJson, each joined
 * in one flat string of its own.
 */
function readKey(c: JsonCursor): Key {
  c.expect(OBJECT);
  const name = readName(c);
  const literal = nameLiteral;
  const json = readKeyAttribute(c);
  if (!c.take(COMMA)) {
    c.expect(OBJECT_END);
    return oneKey(['{', literal, ':', json, '}'].join(''), [name, json]);
  }
  const otherName = readName(c, name);
  const otherLiteral = nameLiteral;
  const otherJson = readKeyAttribute(c);
  c.expect(OBJECT_END);
  const keysJson = ['{', literal, ':', json, ',', otherLiteral, ':', otherJson, '}'].join('');
  const pk = otherName < name ? ['{', otherLiteral, ':', otherJson, ',', literal, ':', json, '}'].join('') : keysJson;
  return { pk, keysJson, attributes: [name, json, otherName, otherJson] };
}

function oneKey(keysJson: string, attributes: readonly string[]): Key {
  return { pk: keysJson, keysJson, attributes };
}

function readKeyAttribute(c: JsonCursor): string {
  const json = readAttribute(c, 0);
  if (lastType !== S && lastType !== N && lastType !== B) throw UNUSUAL;
  return json;
}

function readImage(c: JsonCursor, attributes: string[]): string | null {
  return c.word('null') ? null : readMap(c, 0, attributes);
}

/** The JSON literal of the name readName read last. */
let nameLiteral = '';

/**
 * An attribute name (its literal in `nameLiteral`); a name JSON.parse would enumerate out of
 * order (an array index) or that repeats one already read (`other`, or the map's so far) is UNUSUAL.
 */
function readName(c: JsonCursor, other?: string, from = names.length): string {
  c.string();
  const plain = c.parsed === undefined;
  const name = plain ? c.text.slice(c.start, c.end) : c.parsed!;
  const first = name.charCodeAt(0);
  if (name.length === 0 || (first >= 0x30 && first <= 0x39) || name === other) throw UNUSUAL;
  for (let i = from; i < names.length; i++) if (names[i] === name) throw UNUSUAL;
  nameLiteral = plain ? c.text.slice(c.start - 1, c.end + 1) : jsonName(name);
  c.expect(COLON);
  return name;
}

/** A map of attributes → JSON object text, as attribute-value.ts writes it. */
function readMap(c: JsonCursor, depth: number, attributes: string[] | null): string {
  if (depth > MAX_DEPTH) throw UNUSUAL;
  c.expect(OBJECT);
  if (c.take(OBJECT_END)) return '{}';
  const from = names.length;
  const json = (pieces[depth] ??= []);
  json.push('{');
  do {
    if (names.length - from === MAX_NAMES_PER_MAP) throw UNUSUAL;
    const name = readName(c, undefined, from);
    const literal = nameLiteral;
    names.push(name);
    const value = readAttribute(c, depth);
    if (json.length > 1) json.push(',');
    json.push(literal, ':', value);
    if (attributes) attributes.push(name, value);
  } while (c.take(COMMA));
  c.expect(OBJECT_END);
  truncate(names, from);
  json.push('}');
  return joined(json);
}

/** The pieces as one flat string; the list emptied for the next map or list at its depth. */
function joined(json: string[]): string {
  const text = json.join('');
  truncate(json, 0);
  return text;
}

/** The type of the attribute read last, for Keys: S, N or B (its code), or 0. */
let lastType = 0;

/** One AttributeValue (`{"S": …}`, exactly one type) → JSON text, as attribute-value.ts writes it. */
function readAttribute(c: JsonCursor, depth: number): string {
  c.expect(OBJECT);
  c.string();
  if (c.parsed !== undefined) throw UNUSUAL;
  const { text, start } = c;
  const length = c.end - start;
  const type = text.charCodeAt(start);
  c.expect(COLON);
  let json: string;
  if (length === 1 && type === S) {
    c.string();
    json = c.parsed === undefined ? text.slice(c.start - 1, c.end + 1) : jsonString(c.parsed);
  } else if (length === 1 && type === N) {
    json = canonicalNumber(c.stringValue(), '');
  } else if (length === 1 && type === B) {
    json = `"${binaryToBase64(c.stringValue(), 'double-base64')}"`;
  } else if (length === 1 && type === 0x4d /* M */) {
    json = readMap(c, depth + 1, null);
  } else if (length === 1 && type === 0x4c /* L */) {
    json = readList(c, depth + 1);
  } else if (length === 2 && text.charCodeAt(start + 1) === S && (type === S || type === N || type === B)) {
    const values = readStrings(c);
    if (type === S) json = stringSetJson(values);
    else if (type === N) json = numberSetJson(values.map((v) => canonicalNumber(v, '')));
    else json = binarySetJson(values.map((v) => binaryToBase64(v, 'double-base64')));
  } else if (length === 4 && text.startsWith('BOOL', start)) {
    if (c.word('true')) json = 'true';
    else if (c.word('false')) json = 'false';
    else throw UNUSUAL;
  } else if (length === 4 && text.startsWith('NULL', start) && c.word('true')) {
    json = 'null';
  } else {
    throw UNUSUAL;
  }
  c.expect(OBJECT_END);
  lastType = length === 1 ? type : 0; // set last: a map or list read nested types meanwhile
  return json;
}

function readList(c: JsonCursor, depth: number): string {
  if (depth > MAX_DEPTH) throw UNUSUAL;
  c.expect(ARRAY);
  if (c.take(ARRAY_END)) return '[]';
  const json = (pieces[depth] ??= []);
  json.push('[');
  do {
    if (json.length > 1) json.push(',');
    json.push(readAttribute(c, depth));
  } while (c.take(COMMA));
  c.expect(ARRAY_END);
  json.push(']');
  return joined(json);
}

/** A set's members: a non-empty array of strings. */
function readStrings(c: JsonCursor): string[] {
  c.expect(ARRAY);
  const values: string[] = [];
  do values.push(c.stringValue());
  while (c.take(COMMA));
  c.expect(ARRAY_END);
  return values;
}
