import { ACCESS_KEY } from './firehose.js';

/** POST /records with a JSON body and the bearer key. */
export function recordsRequest(body: unknown, key: string = ACCESS_KEY): Request {
  return new Request('http://sink.test/records', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** A Kinesis-format CDC record for table `t` with key `id`, at `micros`. */
export function kinesisRecord(options: {
  table?: string;
  id: string;
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  micros: number;
  eventId?: string;
  attributes?: Record<string, unknown>;
  ttl?: boolean;
}): Record<string, unknown> {
  const eventName = options.eventName ?? 'INSERT';
  const keys = { id: { S: options.id } };
  const dynamodb: Record<string, unknown> = {
    ApproximateCreationDateTime: options.micros,
    ApproximateCreationDateTimePrecision: 'MICROSECOND',
    Keys: keys,
    SizeBytes: 10,
  };
  if (eventName === 'REMOVE') dynamodb.OldImage = { ...keys };
  else dynamodb.NewImage = { ...(options.attributes ?? {}), ...keys };
  return {
    awsRegion: 'us-east-1',
    eventID: options.eventId ?? `${options.id}-${options.micros}`,
    eventName,
    userIdentity: options.ttl ? { type: 'Service', principalId: 'dynamodb.amazonaws.com' } : null,
    recordFormat: 'application/json',
    tableName: options.table ?? 'contract-items',
    dynamodb,
    eventSource: 'aws:dynamodb',
  };
}

/** A DynamoDB Streams MODIFY from a KEYS_ONLY stream (no image), of `table`, 1 s after the epoch. */
export function keysOnlyRecord(table: string, id: string, eventId: string): Record<string, unknown> {
  return {
    eventID: eventId,
    eventName: 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    eventSourceARN: `arn:aws:dynamodb:us-east-1:111122223333:table/${table}/stream/2024-01-01T00:00:00.000`,
    dynamodb: { ApproximateCreationDateTime: 1, Keys: { id: { S: id } }, SequenceNumber: '100', StreamViewType: 'KEYS_ONLY' },
  };
}
