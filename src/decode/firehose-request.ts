import { isPlainObject } from './attribute-value.js';

/**
 * Firehose HTTP endpoint delivery request, protocol 1.0:
 * https://docs.aws.amazon.com/firehose/latest/dev/httpdeliveryrequestresponse.html
 */
export interface FirehoseRequest {
  readonly requestId: string;
  readonly timestamp: number;
  /** Each record's `data`: base64 text, possibly empty. */
  readonly records: readonly string[];
}

export type FirehoseRequestResult = { ok: true; request: FirehoseRequest } | { ok: false; error: string };

/** Checks the envelope only; records are decoded one by one so that one bad record harms no other. */
export function parseFirehoseRequest(body: unknown): FirehoseRequestResult {
  if (!isPlainObject(body)) return { ok: false, error: 'body is not a JSON object' };
  const { requestId, timestamp, records } = body;
  if (typeof requestId !== 'string' || requestId.length === 0) return { ok: false, error: 'requestId: missing or not a string' };
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return { ok: false, error: 'timestamp: missing or not a number' };
  if (!Array.isArray(records)) return { ok: false, error: 'records: missing or not an array' };
  const data: string[] = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) {
    const record: unknown = records[i];
    if (!isPlainObject(record) || typeof record.data !== 'string') {
      return { ok: false, error: `records[${i}]: not an object with a string "data"` };
    }
    data[i] = record.data;
  }
  return { ok: true, request: { requestId, timestamp, records: data } };
}
