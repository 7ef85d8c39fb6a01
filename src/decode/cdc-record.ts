import { attributeToJson, isPlainObject, itemToJson, type BinaryEncoding } from './attribute-value.js';
import { canonicalKey, type CanonicalKey } from './canonical-key.js';
import { aheadOfBounds, type ChangeBounds } from './change-bounds.js';
import type { Change, EventName, SourceFormat } from './change.js';
import { DecodeError, within } from './decode-error.js';

// Wire shapes: CONTEXT.md §2, from AWS's "Change data capture for Kinesis Data Streams" (kds.html)
// and the DynamoDB Streams `Record`/`StreamRecord` API reference.
export const EVENT_NAMES: ReadonlySet<string> = new Set<EventName>(['INSERT', 'MODIFY', 'REMOVE']);
const STREAM_ARN = /^arn:aws[a-z-]*:dynamodb:[^:]*:[^:]*:table\/([^/]+)\/stream\//;
const SEQUENCE = /^\d{1,40}$/;
// Epoch milliseconds stay below 1e14 until the year 5138; microseconds are above it since 1973.
const MICROSECOND_MAGNITUDE = 1e14;
const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';

const UNBOUNDED: ChangeBounds = { latestVersion: Infinity, marginSeconds: Infinity };

/**
 * One parsed CDC record (Kinesis-for-DynamoDB or DynamoDB Streams) → a normalized Change.
 * Throws DecodeError naming the field that is wrong. The ways in (decode-record.ts) always pass
 * the bounds of their delivery.
 */
export function decodeCdcRecord(record: unknown, path = '', bounds: ChangeBounds = UNBOUNDED): Change {
  if (!isPlainObject(record)) throw new DecodeError(path, 'not a JSON object (expected a DynamoDB CDC record)');
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const stream = record.dynamodb;
  if (!isPlainObject(stream)) throw new DecodeError(at('dynamodb'), 'missing or not an object');
  const format: SourceFormat = 'eventSourceARN' in record || 'SequenceNumber' in stream || 'eventVersion' in record ? 'streams' : 'kinesis';
  const binary: BinaryEncoding = format === 'kinesis' ? 'double-base64' : 'base64';

  const eventName = record.eventName;
  if (typeof eventName !== 'string' || !EVENT_NAMES.has(eventName as EventName)) {
    throw new DecodeError(at('eventName'), `unknown eventName ${JSON.stringify(eventName)} (expected INSERT, MODIFY or REMOVE)`);
  }
  const eventId = record.eventID;
  if (typeof eventId !== 'string' || eventId.length === 0) throw new DecodeError(at('eventID'), 'missing or not a string');

  const sourceTable = format === 'kinesis' ? kinesisTable(record, at) : streamsTable(record, at);
  // Paths below are spelled out only when something is wrong.
  let key: CanonicalKey;
  let newImage: string | null;
  let oldImage: string | null;
  let field = 'dynamodb.Keys';
  try {
    key = canonicalKey(stream.Keys, binary, '');
    field = 'dynamodb.NewImage';
    newImage = image(stream.NewImage, stream.Keys, key, binary);
    field = 'dynamodb.OldImage';
    oldImage = image(stream.OldImage, stream.Keys, key, binary);
  } catch (error) {
    throw within(error, at(field));
  }
  if (format === 'kinesis' && eventName !== 'REMOVE' && newImage === null) {
    // Kinesis streaming always carries full images (CONTEXT.md §2).
    throw new DecodeError(at('dynamodb.NewImage'), `missing: a Kinesis ${eventName} record carries the new item`);
  }

  const version =
    format === 'kinesis' ? kinesisVersion(stream.ApproximateCreationDateTime, stream.ApproximateCreationDateTimePrecision, at) : streamsVersion(stream, at);
  const ahead = aheadOfBounds(version, bounds);
  if (ahead !== null) throw new DecodeError(at('dynamodb.ApproximateCreationDateTime'), ahead);

  return {
    format,
    sourceTable,
    eventId,
    eventName: eventName as EventName,
    ttl: eventName === 'REMOVE' && isTtlPrincipal(record.userIdentity),
    version,
    sequence: format === 'streams' ? sequenceNumber(stream.SequenceNumber, at('dynamodb.SequenceNumber')) : null,
    pk: key.pk,
    keysJson: key.keysJson,
    newImageJson: eventName === 'REMOVE' ? null : newImage,
    oldImageJson: oldImage,
  };
}

function kinesisTable(record: Record<string, unknown>, at: (f: string) => string): string {
  const name = record.tableName;
  if (typeof name !== 'string' || name.length === 0) throw new DecodeError(at('tableName'), 'missing or not a string');
  return name;
}

function streamsTable(record: Record<string, unknown>, at: (f: string) => string): string {
  const arn = record.eventSourceARN;
  const match = typeof arn === 'string' ? STREAM_ARN.exec(arn) : null;
  if (match?.[1]) return match[1];
  // A hand-made Streams-shaped record may name its table directly.
  if (typeof record.tableName === 'string' && record.tableName.length > 0) return record.tableName;
  throw new DecodeError(at('eventSourceARN'), 'missing or not a DynamoDB stream ARN (…:table/<name>/stream/…)');
}

function image(value: unknown, keys: unknown, key: CanonicalKey, binary: BinaryEncoding): string | null {
  if (value === undefined || value === null) return null;
  const json = itemToJson(value, binary, '');
  const item = value as Record<string, unknown>;
  for (const [name, keyJson] of key.values) {
    const at = () => `[${JSON.stringify(name)}]`;
    if (!Object.hasOwn(item, name)) throw new DecodeError(at(), 'key attribute missing from the image');
    // The image serialized fine above, so this attribute does too; spelled as in Keys, it is the same.
    const same = sameSpelling((keys as Record<string, unknown>)[name], item[name]) || attributeToJson(item[name], binary, '') === keyJson;
    if (!same) throw new DecodeError(at(), 'differs from Keys');
  }
  return json;
}

/** Both are valid AttributeValues of one type each (S, N or B for the key): the same type and text. */
function sameSpelling(keyValue: unknown, imageValue: unknown): boolean {
  const k = keyValue as Record<string, unknown>;
  const v = imageValue as Record<string, unknown>;
  return (k.S !== undefined && k.S === v.S) || (k.N !== undefined && k.N === v.N) || (k.B !== undefined && k.B === v.B);
}

/** ApproximateCreationDateTime and its precision → microseconds. */
export function kinesisVersion(value: unknown, precision: unknown, at: (f: string) => string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new DecodeError(at('dynamodb.ApproximateCreationDateTime'), 'missing or not a positive integer');
  }
  // Trust the precision field; millisecond payloads omit it, so fall back to the magnitude.
  if (precision === 'MICROSECOND') return value;
  if (precision === 'MILLISECOND') return value * 1000;
  if (precision !== undefined) {
    throw new DecodeError(at('dynamodb.ApproximateCreationDateTimePrecision'), `unknown precision ${JSON.stringify(precision)}`);
  }
  return value >= MICROSECOND_MAGNITUDE ? value : value * 1000;
}

function streamsVersion(stream: Record<string, unknown>, at: (f: string) => string): number {
  const value = stream.ApproximateCreationDateTime;
  if (value === undefined) return 0; // the SequenceNumber still orders the item's changes
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new DecodeError(at('dynamodb.ApproximateCreationDateTime'), 'not a non-negative number of seconds');
  }
  const micros = Math.round(value * 1e6);
  // Milliseconds taken for seconds would outrank every later change of the item: refuse them.
  if (!Number.isSafeInteger(micros)) {
    throw new DecodeError(at('dynamodb.ApproximateCreationDateTime'), 'seconds out of range (milliseconds?)');
  }
  return micros;
}

function sequenceNumber(value: unknown, path: string): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || !SEQUENCE.test(value)) throw new DecodeError(path, 'not a decimal string of 1 to 40 digits');
  return value.replace(/^0+(?=\d)/, '');
}

// TTL deletes name the DynamoDB service; Lambda spells the fields type/principalId, the raw
// GetRecords API Type/PrincipalId.
export function isTtlPrincipal(identity: unknown): boolean {
  if (!isPlainObject(identity)) return false;
  const type = identity.type ?? identity.Type;
  const principal = identity.principalId ?? identity.PrincipalId;
  return type === 'Service' && principal === TTL_PRINCIPAL;
}
