import { createHash, randomUUID } from 'node:crypto';
import { DeleteStreamCommand, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import fc from 'fast-check';
import { parse as parseLossless } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisSource } from '../../src/consume/kinesis-source.js';
import {
  eventually,
  overlappingWrites,
  startConsumer,
  timedSink,
  type RunningConsumer,
  type TargetRow,
  type TimedWrite,
  KILLED_LEASE_MS,
} from '../support/consumers.js';
import { emitRecords, historyArbitrary, mapMismatch, type Item } from '../support/dynamo-model.js';
import { createStream, putCdcRecord, reshard, startKinesis, type KinesisServer } from '../support/kinesis-server.js';
import { faultyClient } from '../support/faulty-client.js';
import { createHarness, type Harness } from '../support/sinks.js';
import { wrapSink } from '../support/wrapped-sink.js';

// The Kinesis consumer against kinesalite (an implementation of the Kinesis API) and the embedded
// database. The records are those a table's Kinesis streaming destination would put, from the
// DynamoDB model (test/support/dynamo-model.ts): nothing emulates that destination, so the
// target table is compared with the model's final state.
const target = (table: string) => table.toLowerCase().replace(/[^a-z0-9_]/g, '_');
const partitionKey = (record: Record<string, unknown>) =>
  createHash('sha256')
    .update(JSON.stringify((record.dynamodb as { Keys: unknown }).Keys))
    .digest('hex');

describe('Kinesis consumer against kinesalite', () => {
  let kinesis: KinesisServer;
  let h: Harness;
  let streams = 0;
  beforeAll(async () => {
    [kinesis, h] = await Promise.all([startKinesis(), createHarness('pglite')]);
  });
  afterAll(async () => {
    await Promise.all([kinesis?.close(), h?.close()]);
  });

  const rows = (table: string) => h.query<TargetRow>(`SELECT pk, data::text AS data, deleted FROM "${target(table)}" ORDER BY pk`).catch(() => []);
  const stateMismatch = async (table: string, state: Map<string, Item>): Promise<string | null> => {
    const live = (await rows(table)).filter((r) => !r.deleted);
    if (live.length !== state.size) return `${table}: expected ${state.size} live rows, found ${live.length}`;
    for (const row of live) {
      const item = state.get(row.pk);
      if (!item) return `${table}: ${row.pk} should not be live`;
      const m = mapMismatch(item, parseLossless(row.data));
      if (m) return `${table} ${row.pk}: ${m}`;
    }
    return null;
  };
  const freshStream = async (shards: number) => {
    const name = `cdc-stream-${++streams}`;
    await createStream(kinesis.client, name, shards);
    return { name, source: () => new KinesisSource(kinesis.client, name) };
  };

  it('converges whatever the writes, with two consumers at once, wherever they are killed and the stream resharded (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        historyArbitrary,
        fc.uniqueArray(fc.nat(25), { maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(25), fc.constantFrom<'split' | 'merge'>('split', 'merge')), { maxLength: 2 }),
        async (generated, killAt, reshardAt) => {
          run++;
          // Kinesis records only, in tables of this run's own.
          const history = {
            ...generated,
            tables: generated.tables.map((t) => ({ ...t, name: `${t.name}-k${run}`, format: t.format === 'streams' ? ('kinesis-us' as const) : t.format })),
          };
          const { records, finalState } = emitRecords(history);
          const stream = await freshStream(2);
          // Two consumers at once, as two processes started on the stream would be.
          const writes: TimedWrite[] = [];
          const start = () => {
            const owner = `owner-${randomUUID().slice(0, 8)}`;
            return startConsumer(stream.source(), h.checkpoints, timedSink(h.sink, owner, writes), { owner, batchLimit: 3, leaseMs: KILLED_LEASE_MS });
          };
          const consumers: RunningConsumer[] = [start(), start()];
          for (const [i, record] of records.entries()) {
            if (killAt.includes(i)) {
              const victim = i % 2;
              await consumers[victim]!.crash();
              consumers[victim] = start();
            }
            for (const [at, kind] of reshardAt) if (at === i) await reshard(kinesis.client, stream.name, kind);
            await putCdcRecord(kinesis.client, stream.name, record, partitionKey(record));
          }
          for (const [t, spec] of history.tables.entries()) {
            expect(await eventually(() => stateMismatch(spec.name, finalState[t]!))).toBeNull();
          }
          expect(await Promise.all(consumers.map((c) => c.stop()))).toEqual([{ reason: 'stopped' }, { reason: 'stopped' }]);
          expect(overlappingWrites(writes)).toBeNull();
        },
      ),
      { numRuns: 15 },
    );
  });

  it('reads children only after their parents, finishes closed shards, and forgets them once they leave the stream', async () => {
    const stream = await freshStream(1);
    const { records, finalState } = emitRecords({
      tables: [{ name: 'resharded', format: 'kinesis-us', keys: [{ name: 'id', type: 'S' }] }],
      keyPools: [Array.from({ length: 8 }, (_, i) => ({ id: { S: `key-${i}` } }))],
      operations: Array.from({ length: 30 }, (_, i) => ({ kind: 'put' as const, table: 0, key: i % 8, attributes: { n: { N: String(i) } } })),
    });
    const putAll = async (from: number, to: number) => {
      for (const r of records.slice(from, to)) await putCdcRecord(kinesis.client, stream.name, r, partitionKey(r));
    };
    await putAll(0, 10);
    await reshard(kinesis.client, stream.name, 'split');
    await putAll(10, 20);
    await reshard(kinesis.client, stream.name, 'merge');
    await putAll(20, 30);
    const { Shards = [] } = await kinesis.client.send(new ListShardsCommand({ StreamName: stream.name }));
    // Which shard each batch came from (the consumer names it in the batch's request id), in order.
    const written: string[] = [];
    const sink = wrapSink(h.sink, (batch, write) => (written.push(batch.requestId.split(':')[2]!), write()));
    // Closed shards leave the stream after its retention: ListShards stops listing them.
    let retentionPassed = false;
    const client = faultyClient(
      kinesis.client,
      [],
      [
        (command, output) =>
          retentionPassed && command.constructor.name === 'ListShardsCommand'
            ? { ...output, Shards: (output.Shards as Shard[]).filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined) }
            : output,
      ],
    );
    const source = new KinesisSource(client, stream.name);
    const consumer = startConsumer(source, h.checkpoints, sink, { batchLimit: 4 });
    expect(await eventually(() => stateMismatch('resharded', finalState[0]!))).toBeNull();
    expect(new Set(written).size).toBe(4);
    for (const shard of Shards) {
      for (const parent of [shard.ParentShardId, shard.AdjacentParentShardId].filter(Boolean)) {
        expect(written.indexOf(shard.ShardId!), `${shard.ShardId} after ${parent}`).toBeGreaterThan(written.lastIndexOf(parent!));
      }
    }
    const shardStates = () => consumer.metrics.registry.getSingleMetricAsString('cdc_consumer_shards');
    // The first shard, its two children, and their merged child: three closed and read, one open.
    expect(await eventually(async () => ((await shardStates()).includes('state="finished"} 3') ? null : await shardStates()))).toBeNull();
    expect(await shardStates()).toContain(`cdc_consumer_shards{stream="${stream.name}",state="reading"} 1`);
    expect((await h.checkpoints.load(source.streamId)).filter((c) => c.finished)).toHaveLength(3);
    retentionPassed = true;
    expect(await eventually(async () => ((await h.checkpoints.load(source.streamId)).length === 1 ? null : 'not forgotten'))).toBeNull();
    expect(await shardStates()).toContain(`cdc_consumer_shards{stream="${stream.name}",state="finished"} 0`);
    await consumer.stop();
  });

  it('starts at a point in time where there is no checkpoint, and ends cleanly when the stream is deleted', async () => {
    const stream = await freshStream(1);
    const { records } = emitRecords({
      tables: [{ name: 'timed', format: 'kinesis-ms', keys: [{ name: 'id', type: 'S' }] }],
      keyPools: [[{ id: { S: 'before' } }, { id: { S: 'after' } }]],
      operations: [
        { kind: 'put', table: 0, key: 0, attributes: {} },
        { kind: 'put', table: 0, key: 1, attributes: {} },
      ],
    });
    await putCdcRecord(kinesis.client, stream.name, records[0]!, 'a');
    await new Promise((resolve) => setTimeout(resolve, 1100)); // Kinesis arrival times have second precision in kinesalite
    const time = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await putCdcRecord(kinesis.client, stream.name, records[1]!, 'a');
    const consumer = startConsumer(stream.source(), h.checkpoints, h.sink, { start: { kind: 'at-time', time } });
    expect(await eventually(async () => ((await rows('timed')).length === 1 ? null : 'not yet'))).toBeNull();
    expect((await rows('timed')).map((r) => r.pk)).toEqual(['{"id":"after"}']);
    await kinesis.client.send(new DeleteStreamCommand({ StreamName: stream.name }));
    expect(await consumer.done).toEqual({ reason: 'stream-gone' });
  });
});
