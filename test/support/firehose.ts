import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const ACCESS_KEY = 'test-key-1';

export interface DeliveryOptions {
  requestId?: string;
  gzip?: boolean;
  accessKey?: string | null;
}

/** Base64 of a record's JSON text, as Firehose forwards it. */
export function encodeRecord(record: unknown): string {
  return Buffer.from(typeof record === 'string' ? record : JSON.stringify(record), 'utf8').toString('base64');
}

/** A Firehose delivery of these records (objects are JSON-encoded; strings are taken as base64 data). */
export function firehoseBody(records: readonly unknown[], requestId: string = randomUUID()) {
  return {
    requestId,
    timestamp: Date.now(),
    records: records.map((r) => ({ data: typeof r === 'string' ? r : encodeRecord(r) })),
  };
}

/** The Request Firehose would send for this body. */
export function firehoseRequest(body: unknown, options: DeliveryOptions = {}): Request {
  const requestId = options.requestId ?? (body as { requestId?: string }).requestId ?? randomUUID();
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-amz-firehose-protocol-version': '1.0',
    'x-amz-firehose-request-id': requestId,
    'user-agent': 'Amazon Kinesis Data Firehose Agent/1.0',
  };
  const key = options.accessKey === undefined ? ACCESS_KEY : options.accessKey;
  if (key !== null) headers['x-amz-firehose-access-key'] = key;
  let payload: Uint8Array = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  if (options.gzip) {
    payload = gzipSync(payload);
    headers['content-encoding'] = 'gzip';
  }
  return new Request('http://sink.test/firehose', { method: 'POST', headers, body: payload });
}
