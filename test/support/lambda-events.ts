import { createHash } from 'node:crypto';
import { encodeRecord } from './firehose.js';

// A Kinesis event source mapping's event, as Lambda delivers it
// (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html, "Example event"): each
// Kinesis record's data is the base64 of what the producer put, here the Kinesis-for-DynamoDB
// record's JSON.
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:111122223333:stream/table-testdrive-cdc';
let sequence = 49654140391488563297474123628102458376237138342938460162n;

export interface KinesisEventRecord {
  kinesis: { kinesisSchemaVersion: string; partitionKey: string; sequenceNumber: string; data: string; approximateArrivalTimestamp: number };
  eventSource: 'aws:kinesis';
  eventVersion: string;
  eventID: string;
  eventName: 'aws:kinesis:record';
  invokeIdentityArn: string;
  awsRegion: string;
  eventSourceARN: string;
}

/** Wraps CDC records (objects are JSON-encoded; strings are taken as the base64 data itself). */
export function kinesisEvent(records: readonly unknown[]): { Records: KinesisEventRecord[] } {
  return {
    Records: records.map((record) => {
      sequence += 1_000_000_007n;
      const data = typeof record === 'string' ? record : encodeRecord(record);
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          // DynamoDB's streaming destination keys Kinesis records by an opaque hash of the item key.
          partitionKey: createHash('md5').update(data).digest('hex').toUpperCase(),
          sequenceNumber: sequence.toString(),
          data,
          approximateArrivalTimestamp: 1_720_740_233.117,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-000000000002:${sequence}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::111122223333:role/cdc-sink-lambda',
        awsRegion: 'us-east-1',
        eventSourceARN: STREAM_ARN,
      };
    }),
  };
}

export const sequenceNumbers = (event: { Records: readonly KinesisEventRecord[] }, indices: readonly number[]) =>
  indices.map((i) => ({ itemIdentifier: event.Records[i]!.kinesis.sequenceNumber }));
