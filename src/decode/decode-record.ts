import { decodeBase64Shared, decodeBase64SpanShared, isSharedPlain, sharedBytes, sharedText } from './base64.js';
import { cdcBatch, decodeCdcBytes } from './cdc-bytes.js';
import { decodeCdcRecord } from './cdc-record.js';
import { decodeCdcText } from './cdc-text.js';
import type { ChangeBounds } from './change-bounds.js';
import { decodeScannedItem, type ScanMeta } from './scanned-item.js';
import type { Change } from './change.js';
import { DecodeError } from './decode-error.js';
import { exceedsDepth, jsonText, MAX_RECORD_DEPTH } from './json-depth.js';
import { decodeUtf8, parseJson } from './utf8-json.js';

/** One incoming record, decoded or not; `payload` keeps the original text for the dead-letter table. */
export type DecodedRecord =
  | { readonly ok: true; readonly index: number; readonly change: Change }
  | { readonly ok: false; readonly index: number; readonly error: string; readonly payload: string };

/** A Firehose record's base64 `data` → Change. Never throws on bad input. */
export function decodeFirehoseRecord(data: string, index: number, bounds: ChangeBounds): DecodedRecord {
  return decodeBase64Record(data, index, firehosePath, bounds);
}

/**
 * The records of a Firehose body, each the base64 text from `starts[i]` to `ends[i]` of a view of
 * the body's bytes (empty ones skipped), → their DecodedRecords, as decodeFirehoseRecord decodes
 * each text, in order; undefined once `keep` refuses the span of a record that failed. Plain records are read
 * into one output (cdc-bytes.ts's cdcBatch), their strings made together. A dead letter's payload
 * is the text, in characters of its own.
 */
export function decodeFirehoseSpans(
  body: DataView,
  starts: readonly number[],
  ends: readonly number[],
  bounds: ChangeBounds,
  keep: (start: number, end: number) => boolean,
): DecodedRecord[] | undefined {
  const decoded: DecodedRecord[] = [];
  try {
    for (let i = 0; i < starts.length; i++) {
      const start = starts[i]!;
      const end = ends[i]!;
      if (start === end) continue;
      let record: DecodedRecord;
      try {
        const length = decodeBase64SpanShared(body, start, end, '');
        const plain = isSharedPlain(length);
        if (plain && cdcBatch.add(sharedBytes(), length, bounds, i, decoded.length)) {
          decoded.push(BATCHED);
          if (cdcBatch.full()) cdcBatch.flush(decoded);
          continue;
        }
        record = { ok: true, index: i, change: decodeCdcJson(sharedText(length, plain, ''), bounds, plain) };
      } catch (error) {
        record = failed(error, i, () => Buffer.from(body.buffer, body.byteOffset + start, end - start).toString('latin1'), firehosePath);
        if (!keep(start, end)) return undefined;
      }
      decoded.push(record);
    }
    cdcBatch.flush(decoded);
    return decoded;
  } finally {
    cdcBatch.drop();
  }
}

// A place in `decoded` that the batch fills when it is flushed.
const BATCHED: DecodedRecord = Object.freeze({ ok: false, index: -1, error: 'batched', payload: '' });

// The path is spelled only for a record that fails: most never do.
function firehosePath(index: number): string {
  return `records[${index}].data`;
}

/** Base64 of a CDC record's JSON (Firehose `data`, a Lambda Kinesis event's `kinesis.data`) → Change. */
export function decodeBase64Record(data: string, index: number, path: string | ((index: number) => string), bounds: ChangeBounds): DecodedRecord {
  try {
    return { ok: true, index, change: sharedChange(decodeBase64Shared(data, ''), bounds) };
  } catch (error) {
    return failed(error, index, data, path);
  }
}

/** The record's JSON, decoded into base64.ts's shared buffer → Change. Plain bytes (what AWS sends) are read as they are; anything else, or unusual, as text. */
function sharedChange(length: number, bounds: ChangeBounds): Change {
  const plain = isSharedPlain(length);
  return (plain ? decodeCdcBytes(sharedBytes(), length, bounds) : undefined) ?? decodeCdcJson(sharedText(length, plain, ''), bounds, plain);
}

/**
 * A CDC record's JSON as bytes (a Kinesis record's `Data`, read by the consumer) → Change, with no
 * base64 round trip; a dead letter keeps the bytes as base64, as Firehose would have sent them.
 */
export function decodeBytesRecord(bytes: Uint8Array, index: number, path: string, bounds: ChangeBounds): DecodedRecord {
  try {
    return { ok: true, index, change: decodeCdcUtf8(bytes, bounds) };
  } catch (error) {
    return failed(error, index, () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), path);
  }
}

/** A CDC record's UTF-8 JSON → Change: read straight from the text when it is the usual record, else parsed first. */
function decodeCdcUtf8(bytes: Uint8Array, bounds: ChangeBounds): Change {
  return decodeCdcJson(decodeUtf8(bytes, ''), bounds);
}

/** A CDC record's JSON text → Change (`plain`: JsonCursor's, known beforehand). */
function decodeCdcJson(text: string, bounds: ChangeBounds, plain = false): Change {
  return decodeCdcText(text, bounds, plain) ?? decodeCdcRecord(parseJson(text, ''), '', bounds);
}

/**
 * A record already parsed from JSON (POST /records, a Lambda event) → Change. Never throws on bad
 * input; its depth is checked before anything recurses through it, its dead letter included.
 */
export function decodeParsedRecord(value: unknown, index: number, path: string, bounds: ChangeBounds): DecodedRecord {
  try {
    return { ok: true, index, change: decodeCdcRecord(withinDepth(value), '', bounds) };
  } catch (error) {
    return failed(error, index, () => jsonText(value), path);
  }
}

/**
 * `value`, unless it nests deeper than any DynamoDB record can. Records decoded from text need no
 * such walk: JSON.parse does not recurse, and the decoder counts levels as it descends.
 */
function withinDepth<T>(value: T): T {
  if (exceedsDepth(value))
    throw new DecodeError('', `nested deeper than ${MAX_RECORD_DEPTH} levels: not a DynamoDB record (DynamoDB nests attributes 32 levels at most)`);
  return value;
}

function joinPath(prefix: string, rest: string): string {
  if (!rest || !prefix) return prefix || rest;
  return rest.startsWith('[') ? prefix + rest : `${prefix}.${rest}`;
}

// The decoders name fields from the record's root; `failed` puts the record's own path first.
function failed(error: unknown, index: number, payload: string | (() => string), path: string | ((index: number) => string)): DecodedRecord {
  if (!(error instanceof DecodeError) && !(error instanceof RangeError)) throw error;
  // RangeError: input nested deep enough to exhaust the stack.
  const message =
    error instanceof DecodeError
      ? new DecodeError(joinPath(typeof path === 'string' ? path : path(index), error.path), error.reason).message
      : `record too deeply nested (${error.message})`;
  return { ok: false, index, error: message, payload: typeof payload === 'string' ? payload : payload() };
}

/** An item read by a Scan (DynamoDB JSON, binary as base64) → Change. Never throws on bad input. */
export function decodeScannedRecord(item: unknown, index: number, meta: ScanMeta): DecodedRecord {
  try {
    return { ok: true, index, change: decodeScannedItem(withinDepth(item), meta, '') };
  } catch (error) {
    return failed(error, index, () => jsonText(item), `Items[${index}]`);
  }
}
