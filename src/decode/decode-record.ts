import { decodeBase64 } from './base64.js';
import { decodeCdcRecord } from './cdc-record.js';
import { decodeScannedItem, type ScanMeta } from './scanned-item.js';
import type { Change } from './change.js';
import { DecodeError } from './decode-error.js';
import { decodeUtf8, parseJson } from './utf8-json.js';

/** One incoming record, decoded or not; `payload` keeps the original text for the dead-letter table. */
export type DecodedRecord =
  | { readonly ok: true; readonly index: number; readonly change: Change }
  | { readonly ok: false; readonly index: number; readonly error: string; readonly payload: string };

/** A Firehose record's base64 `data` → Change. Never throws on bad input. */
export function decodeFirehoseRecord(data: string, index: number): DecodedRecord {
  return decodeBase64Record(data, index, `records[${index}].data`);
}

/** Base64 of a CDC record's JSON (Firehose `data`, a Lambda Kinesis event's `kinesis.data`) → Change. */
export function decodeBase64Record(data: string, index: number, path: string): DecodedRecord {
  return attempt(index, data, () => {
    const text = decodeUtf8(decodeBase64(data, path), path);
    return decodeCdcRecord(parseJson(text, path), path);
  });
}

/** A record already parsed from JSON (POST /records) → Change. Never throws on bad input. */
export function decodeParsedRecord(value: unknown, index: number, path: string, payload: () => string): DecodedRecord {
  return attempt(index, payload, () => decodeCdcRecord(value, path));
}

function attempt(index: number, payload: string | (() => string), decode: () => Change): DecodedRecord {
  try {
    return { ok: true, index, change: decode() };
  } catch (error) {
    if (!(error instanceof DecodeError) && !(error instanceof RangeError)) throw error;
    // RangeError: input nested deep enough to exhaust the stack.
    const message = error instanceof DecodeError ? error.message : `record too deeply nested (${error.message})`;
    return { ok: false, index, error: message, payload: typeof payload === 'string' ? payload : payload() };
  }
}

/** An item read by a Scan (DynamoDB JSON, binary as base64) → Change. Never throws on bad input. */
export function decodeScannedRecord(item: unknown, index: number, meta: ScanMeta): DecodedRecord {
  return attempt(index, () => JSON.stringify(item), () => decodeScannedItem(item, meta, `Items[${index}]`));
}
