import { isPlainObject } from '../decode/attribute-value.js';
import type { ChangeBounds } from '../decode/change-bounds.js';
import { decodeBase64Record, decodeParsedRecord, type DecodedRecord } from '../decode/decode-record.js';
import { jsonText } from '../decode/json-depth.js';

/**
 * One record of a Lambda event, decoded, with the identifier Lambda wants back when it fails:
 * - Kinesis event source mapping (records from a DynamoDB Kinesis streaming destination):
 *   `Records[].kinesis.data` is base64 of the Kinesis-for-DynamoDB record's JSON, and the
 *   identifier is `kinesis.sequenceNumber`
 *   (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html);
 * - DynamoDB Streams event source: `Records[]` are the stream records themselves, and the
 *   identifier is `dynamodb.SequenceNumber`
 *   (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html).
 */
export interface LambdaEntry {
  readonly index: number;
  /** Sequence number to report in batchItemFailures; null when the record carries none. */
  readonly identifier: string | null;
  /** null: a Kinesis record with empty data, nothing to apply. */
  readonly decoded: DecodedRecord | null;
}

export type LambdaEventResult = { ok: true; entries: LambdaEntry[] } | { ok: false; error: string };

export function parseLambdaEvent(event: unknown, bounds: ChangeBounds): LambdaEventResult {
  if (!isPlainObject(event) || !Array.isArray(event.Records)) {
    return { ok: false, error: 'not a Kinesis or DynamoDB Streams event: expected an object with a "Records" array' };
  }
  return { ok: true, entries: event.Records.map((record: unknown, index) => entry(record, index, bounds)) };
}

function entry(record: unknown, index: number, bounds: ChangeBounds): LambdaEntry {
  const path = `Records[${index}]`;
  if (!isPlainObject(record)) {
    return { index, identifier: null, decoded: { ok: false, index, error: `${path}: not an object`, payload: jsonText(record) } };
  }
  const kinesis = record.kinesis;
  if (isPlainObject(kinesis)) {
    const identifier = typeof kinesis.sequenceNumber === 'string' && kinesis.sequenceNumber !== '' ? kinesis.sequenceNumber : null;
    const data = kinesis.data;
    if (typeof data !== 'string') {
      return { index, identifier, decoded: { ok: false, index, error: `${path}.kinesis.data: missing or not a string`, payload: jsonText(record) } };
    }
    return { index, identifier, decoded: data.length === 0 ? null : decodeBase64Record(data, index, `${path}.kinesis.data`, bounds) };
  }
  const sequence = isPlainObject(record.dynamodb) ? record.dynamodb.SequenceNumber : undefined;
  const identifier = typeof sequence === 'string' && sequence !== '' ? sequence : null;
  return { index, identifier, decoded: decodeParsedRecord(record, index, path, bounds) };
}
