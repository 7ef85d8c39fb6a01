import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { toWireItem } from '../backfill/wire-item.js';
import { changeBounds, DEFAULT_FUTURE_MARGIN_SECONDS } from '../decode/change-bounds.js';
import { decodeParsedRecord } from '../decode/decode-record.js';
import {
  call,
  sourceError,
  StreamSourceError,
  type Position,
  type ShardInfo,
  type SourceRecord,
  type StreamDescription,
  type StreamSource,
} from './stream-source.js';

/** DynamoDB Streams keep records for 24 hours (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html). */
const RETENTION_MS = 24 * 3_600_000;

/** `--dynamodb-table NAME` → the table's latest stream ARN (DescribeTable `LatestStreamArn`). */
export async function latestStreamArn(client: DynamoDBClient, table: string): Promise<string> {
  let described;
  try {
    described = await client.send(new DescribeTableCommand({ TableName: table }));
  } catch (error) {
    throw sourceError(error, `DescribeTable ${table}`);
  }
  const arn = described.Table?.LatestStreamArn;
  if (!arn || described.Table?.StreamSpecification?.StreamEnabled === false) {
    throw new StreamSourceError(
      'gone',
      `table ${table} has no stream enabled: turn one on (StreamSpecification {StreamEnabled: true, StreamViewType: NEW_AND_OLD_IMAGES})`,
    );
  }
  return arn;
}

/**
 * A DynamoDB stream through the DynamoDB Streams API
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html).
 * Records are handed to the decoder in the shape Lambda gives them (`eventSourceARN`, timestamps
 * in seconds, binary as base64), which it already reads.
 */
export class DynamoDbStreamsSource implements StreamSource {
  readonly kind = 'dynamodb-streams';
  readonly label: string;

  constructor(
    private readonly client: DynamoDBStreamsClient,
    readonly streamId: string,
    /** A change dated further past the clock is dead-lettered (FUTURE_CHANGE_MARGIN_SECONDS). */
    private readonly futureMarginSeconds = DEFAULT_FUTURE_MARGIN_SECONDS,
  ) {
    // arn:aws:dynamodb:<region>:<account>:table/<TableName>/stream/<label>
    this.label = /:table\/([^/]+)\/stream\//.exec(streamId)?.[1] ?? streamId;
  }

  async describe(): Promise<StreamDescription> {
    const shards: ShardInfo[] = [];
    let status: StreamDescription['status'] = 'active';
    let start: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new DescribeStreamCommand({ StreamArn: this.streamId, ExclusiveStartShardId: start }));
      } catch (error) {
        const failure = sourceError(error, `DescribeStream ${this.streamId}`);
        if (failure.kind === 'gone') return { status: 'gone', shards: [], retentionMs: RETENTION_MS };
        throw failure;
      }
      const d = page.StreamDescription;
      if (d?.StreamStatus === 'DISABLED' || d?.StreamStatus === 'DISABLING') status = 'disabled';
      for (const s of d?.Shards ?? []) {
        if (!s.ShardId) continue;
        shards.push({
          shardId: s.ShardId,
          parents: s.ParentShardId ? [s.ParentShardId] : [],
          closed: s.SequenceNumberRange?.EndingSequenceNumber !== undefined,
        });
      }
      start = d?.LastEvaluatedShardId;
    } while (start);
    return { status, shards, retentionMs: RETENTION_MS };
  }

  async iterator(shardId: string, position: Position): Promise<string> {
    // DynamoDB Streams has no AT_TIMESTAMP: the consumer reads from the oldest record and skips
    // those before the time.
    const type: ShardIteratorType = position.kind === 'after' ? 'AFTER_SEQUENCE_NUMBER' : position.kind === 'latest' ? 'LATEST' : 'TRIM_HORIZON';
    const answer = await call(`GetShardIterator ${shardId} ${type}`, () =>
      this.client.send(
        new GetShardIteratorCommand({
          StreamArn: this.streamId,
          ShardId: shardId,
          ShardIteratorType: type,
          SequenceNumber: position.kind === 'after' ? position.sequence : undefined,
        }),
      ),
    );
    if (!answer.ShardIterator) throw new StreamSourceError('other', `GetShardIterator ${shardId}: no ShardIterator in the answer`);
    return answer.ShardIterator;
  }

  async read(iterator: string, limit: number) {
    const answer = await call('GetRecords', () => this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit })));
    const bounds = changeBounds(Date.now(), this.futureMarginSeconds);
    const records: SourceRecord[] = (answer.Records ?? []).map((record, i) => {
      const lambdaShaped = lambdaRecord(record, this.streamId);
      return {
        sequence: record.dynamodb?.SequenceNumber ?? '',
        decoded: decodeParsedRecord(lambdaShaped, i, `Records[${i}]`, bounds),
        arrivedAtMs: record.dynamodb?.ApproximateCreationDateTime?.getTime() ?? 0,
      };
    });
    return { records, next: answer.NextShardIterator ?? null, millisBehind: null };
  }

  close(): void {
    this.client.destroy();
  }
}

type Attributes = Parameters<typeof toWireItem>[0];

/** A GetRecords record → the DynamoDB Streams event record Lambda would deliver. */
function lambdaRecord(record: StreamRecord, streamArn: string): Record<string, unknown> {
  const d = record.dynamodb ?? {};
  const image = (attributes: Record<string, unknown> | undefined) => (attributes ? toWireItem(attributes as Attributes) : undefined);
  const created = d.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    userIdentity: record.userIdentity,
    dynamodb: {
      // Lambda and the API both count seconds; the SDK hands over a Date.
      ApproximateCreationDateTime: created ? Math.floor(created.getTime() / 1000) : undefined,
      Keys: image(d.Keys),
      NewImage: image(d.NewImage),
      OldImage: image(d.OldImage),
      SequenceNumber: d.SequenceNumber,
      SizeBytes: d.SizeBytes,
      StreamViewType: d.StreamViewType,
    },
  };
}
