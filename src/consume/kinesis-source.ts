import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type ShardIteratorType,
} from '@aws-sdk/client-kinesis';
import { changeBounds, DEFAULT_FUTURE_MARGIN_SECONDS } from '../decode/change-bounds.js';
import { decodeBytesRecord } from '../decode/decode-record.js';
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

/** `NAME` or `arn:aws:kinesis:<region>:<account>:stream/NAME` → the stream's name. */
export function kinesisStreamName(nameOrArn: string): string {
  return /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/(.+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

/**
 * A Kinesis data stream fed by a DynamoDB table's Kinesis streaming destination
 * (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_Operations.html). Each record's
 * data is the Kinesis-for-DynamoDB JSON record, decoded as Firehose's are.
 */
export class KinesisSource implements StreamSource {
  readonly kind = 'kinesis';
  readonly label: string;
  streamId: string;

  constructor(
    private readonly client: KinesisClient,
    nameOrArn: string,
    /** A change dated further past the clock is dead-lettered (FUTURE_CHANGE_MARGIN_SECONDS). */
    private readonly futureMarginSeconds = DEFAULT_FUTURE_MARGIN_SECONDS,
  ) {
    this.label = kinesisStreamName(nameOrArn);
    this.streamId = nameOrArn.startsWith('arn:') ? nameOrArn : this.label;
  }

  async describe(): Promise<StreamDescription> {
    let summary;
    try {
      summary = (await this.client.send(new DescribeStreamSummaryCommand({ StreamName: this.label }))).StreamDescriptionSummary;
    } catch (error) {
      const failure = sourceError(error, `DescribeStreamSummary ${this.label}`);
      if (failure.kind === 'gone') return { status: 'gone', shards: [], retentionMs: 0 };
      throw failure;
    }
    if (summary?.StreamARN) this.streamId = summary.StreamARN;
    const retentionMs = (summary?.RetentionPeriodHours ?? 24) * 3_600_000;
    if (summary?.StreamStatus === 'DELETING') return { status: 'gone', shards: [], retentionMs };
    const shards: ShardInfo[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        // With NextToken, ListShards takes no stream name.
        page = await this.client.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.label }));
      } catch (error) {
        const failure = sourceError(error, `ListShards ${this.label}`);
        if (failure.kind === 'gone') return { status: 'gone', shards: [], retentionMs };
        throw failure;
      }
      for (const s of page.Shards ?? []) {
        if (!s.ShardId) continue;
        const parents = [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => typeof p === 'string' && p !== '');
        shards.push({ shardId: s.ShardId, parents, closed: s.SequenceNumberRange?.EndingSequenceNumber !== undefined });
      }
      token = page.NextToken;
    } while (token);
    return { status: 'active', shards, retentionMs };
  }

  async iterator(shardId: string, position: Position): Promise<string> {
    const type: ShardIteratorType =
      position.kind === 'after'
        ? 'AFTER_SEQUENCE_NUMBER'
        : position.kind === 'latest'
          ? 'LATEST'
          : position.kind === 'at-time'
            ? 'AT_TIMESTAMP'
            : 'TRIM_HORIZON';
    const answer = await call(`GetShardIterator ${shardId} ${type}`, () =>
      this.client.send(
        new GetShardIteratorCommand({
          StreamName: this.label,
          ShardId: shardId,
          ShardIteratorType: type,
          StartingSequenceNumber: position.kind === 'after' ? position.sequence : undefined,
          Timestamp: position.kind === 'at-time' ? position.time : undefined,
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
      const data = record.Data;
      return {
        sequence: record.SequenceNumber ?? '',
        decoded: data && data.byteLength > 0 ? decodeBytesRecord(data, i, `Records[${i}].Data`, bounds) : null,
        arrivedAtMs: record.ApproximateArrivalTimestamp?.getTime() ?? 0,
      };
    });
    return { records, next: answer.NextShardIterator ?? null, millisBehind: answer.MillisBehindLatest ?? null };
  }

  close(): void {
    this.client.destroy();
  }
}
