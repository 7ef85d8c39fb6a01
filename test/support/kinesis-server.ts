import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';
import { serveEmulator } from './listen.js';

/**
 * kinesalite (npm, an implementation of the Kinesis API, in memory) in this process on a loopback
 * port, and an SDK client for it with dummy credentials. Resharding takes effect at once.
 */
export interface KinesisServer {
  readonly endpoint: string;
  readonly client: KinesisClient;
  close(): Promise<void>;
}

export async function startKinesis(): Promise<KinesisServer> {
  return serveEmulator(kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000 }), kinesisClient);
}

export function kinesisClient(endpoint: string): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler(),
  });
}

/** Creates a stream and waits until it is ACTIVE (or not UPDATING, after a reshard). */
export async function createStream(client: KinesisClient, name: string, shards: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await untilActive(client, name);
}

export async function untilActive(client: KinesisClient, name: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const { StreamDescriptionSummary } = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

/** One Kinesis-for-DynamoDB record, as the table's streaming destination puts it (partition key: the item's key). */
export async function putCdcRecord(client: KinesisClient, stream: string, record: Record<string, unknown>, partitionKey: string): Promise<void> {
  await client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: partitionKey, Data: Buffer.from(JSON.stringify(record)) }));
}

/** Splits the first open shard at the middle of its hash range, or merges the first two adjacent open ones. */
export async function reshard(client: KinesisClient, stream: string, kind: 'split' | 'merge'): Promise<void> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: stream }));
  const open = Shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined).sort((a, b) =>
    BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1,
  );
  if (kind === 'merge' && open.length >= 2) {
    await client.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: open[0]!.ShardId, AdjacentShardToMerge: open[1]!.ShardId }));
  } else {
    const shard = open[0]!;
    const from = BigInt(shard.HashKeyRange!.StartingHashKey!);
    const to = BigInt(shard.HashKeyRange!.EndingHashKey!);
    await client.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shard.ShardId, NewStartingHashKey: String((from + to) / 2n + 1n) }));
  }
  await untilActive(client, stream);
}
