import type { ChangeBounds } from './change-bounds.js';
import { decodeFirehoseRecord, decodeFirehoseSpans, type DecodedRecord } from './decode-record.js';
import { parseFirehoseRequest } from './firehose-request.js';

/** A Firehose request body with each non-empty record decoded (empty `data` is legal and skipped). */
export interface DecodedFirehoseBody {
  readonly requestId: string;
  readonly timestamp: number;
  /** Records in the request, empty ones included. */
  readonly received: number;
  readonly decoded: DecodedRecord[];
}

export type FirehoseBodyResult = { ok: true; body: DecodedFirehoseBody } | { ok: false; error: string };

interface Envelope {
  readonly requestId: string;
  readonly timestamp: number;
  /** Byte offsets of each record's base64 text in the body. */
  readonly starts: number[];
  readonly ends: number[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Body bytes → envelope and decoded records. Firehose's own bodies (the three known fields, no
 * escapes) are read straight from the bytes, each record's base64 decoded where it lies:
 * JSON.parse would hold the body once more as text and once more as 10,000 strings while the
 * records are decoded, twice the body's size in heap. Any other body goes through JSON.parse;
 * both ways give the same answer for the same body (tested).
 */
export function decodeFirehoseBody(bytes: Buffer, bounds: ChangeBounds): FirehoseBodyResult {
  const envelope = scanEnvelope(bytes);
  const decoded = envelope && decodeSlices(bytes, envelope, bounds);
  if (envelope && decoded) {
    return { ok: true, body: { requestId: envelope.requestId, timestamp: envelope.timestamp, received: envelope.starts.length, decoded } };
  }
  return decodeParsedFirehoseBody(bytes, bounds);
}

/** The plain way: JSON.parse of the whole body, then each record. Exported to test the fast way against. */
export function decodeParsedFirehoseBody(bytes: Buffer, bounds: ChangeBounds): FirehoseBodyResult {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { ok: false, error: `body is not valid JSON: ${(error as Error).message}` };
  }
  const parsed = parseFirehoseRequest(json);
  if (!parsed.ok) return parsed;
  const { requestId, timestamp, records } = parsed.request;
  const decoded: DecodedRecord[] = [];
  for (let i = 0; i < records.length; i++) {
    if (records[i]!.length > 0) decoded.push(decodeFirehoseRecord(records[i]!, i, bounds));
  }
  return { ok: true, body: { requestId, timestamp, received: records.length, decoded } };
}

/**
 * Decodes the records of a scanned envelope; undefined when a record that failed holds bytes
 * JSON.parse would have read otherwise (non-ASCII, control characters), so that the slow path
 * decides, with the same message and payload as always.
 */
function decodeSlices(bytes: Buffer, envelope: Envelope, bounds: ChangeBounds): DecodedRecord[] | undefined {
  // Each record's base64 is decoded where it lies: no string of it to allocate and collect.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decodeFirehoseSpans(view, envelope.starts, envelope.ends, bounds, (start, end) => isPrintableAscii(bytes, start, end));
}

function isPrintableAscii(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i]! < 0x20 || bytes[i]! > 0x7e) return false;
  return true;
}

/**
 * Reads `{"requestId": "…", "timestamp": n, "records": [{"data": "…"}, …]}` with any JSON
 * whitespace and the fields in any order. Undefined for anything else (other or repeated
 * fields, escapes, a malformed body): JSON.parse then reads it, or says what is wrong.
 */
function scanEnvelope(bytes: Buffer): Envelope | undefined {
  if (bytes.indexOf(BACKSLASH) !== -1) return undefined;
  const scan = new Scanner(bytes);
  let requestId: string | undefined;
  let timestamp: number | undefined;
  let records: { starts: number[]; ends: number[] } | undefined;
  if (!scan.take(0x7b /* { */)) return undefined;
  do {
    const field = scan.string();
    if (field === undefined || !scan.take(0x3a /* : */)) return undefined;
    if (field === 'requestId' && requestId === undefined) {
      if ((requestId = scan.string()) === undefined) return undefined;
    } else if (field === 'timestamp' && timestamp === undefined) {
      if ((timestamp = scan.number()) === undefined) return undefined;
    } else if (field === 'records' && records === undefined) {
      if ((records = scanRecords(scan)) === undefined) return undefined;
    } else {
      return undefined;
    }
  } while (scan.take(0x2c /* , */));
  if (!scan.take(0x7d /* } */) || !scan.atEnd()) return undefined;
  if (!requestId || timestamp === undefined || !Number.isFinite(timestamp) || !records) return undefined;
  return { requestId, timestamp, ...records };
}

function scanRecords(scan: Scanner): { starts: number[]; ends: number[] } | undefined {
  const starts: number[] = [];
  const ends: number[] = [];
  if (!scan.take(0x5b /* [ */)) return undefined;
  if (scan.take(0x5d /* ] */)) return { starts, ends };
  do {
    if (!scan.take(0x7b) || scan.string() !== 'data' || !scan.take(0x3a)) return undefined;
    const span = scan.stringSpan();
    if (!span || !scan.take(0x7d)) return undefined;
    starts.push(span[0]);
    ends.push(span[1]);
  } while (scan.take(0x2c));
  return scan.take(0x5d) ? { starts, ends } : undefined;
}

/** A cursor over JSON bytes known to hold no backslash. */
class Scanner {
  private at = 0;

  constructor(private readonly bytes: Buffer) {}

  /** Skips whitespace, then consumes `byte` if it is next. */
  take(byte: number): boolean {
    this.skipWhitespace();
    if (this.bytes[this.at] !== byte) return false;
    this.at++;
    return true;
  }

  atEnd(): boolean {
    this.skipWhitespace();
    return this.at === this.bytes.length;
  }

  /** The offsets of the next string's contents, unchecked: a record's data is checked by its decoder. */
  stringSpan(): [number, number] | undefined {
    if (!this.take(QUOTE)) return undefined;
    const end = this.bytes.indexOf(QUOTE, this.at);
    if (end === -1) return undefined;
    const span: [number, number] = [this.at, end];
    this.at = end + 1;
    return span;
  }

  /** The next string, if it is printable ASCII (what JSON.parse would read the same). */
  string(): string | undefined {
    const span = this.stringSpan();
    if (!span || !isPrintableAscii(this.bytes, span[0], span[1])) return undefined;
    return this.bytes.toString('latin1', span[0], span[1]);
  }

  number(): number | undefined {
    this.skipWhitespace();
    const start = this.at;
    while (this.at < this.bytes.length && isNumberByte(this.bytes[this.at]!)) this.at++;
    const text = this.bytes.toString('latin1', start, this.at);
    return JSON_NUMBER.test(text) ? Number(text) : undefined;
  }

  private skipWhitespace(): void {
    const { bytes } = this;
    while (this.at < bytes.length) {
      const b = bytes[this.at]!;
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return;
      this.at++;
    }
  }
}

function isNumberByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x65 || b === 0x45;
}
