import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, DeleteTableCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { ExpiredIteratorException, LimitExceededException, TrimmedDataAccessException } from '@aws-sdk/client-dynamodb-streams';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStreamsSource } from '../../src/consume/dynamodb-streams-source.js';
import { scanAll } from '../support/dynamodb-server.js';
import { createStreamTable, motoSkipReason, startMoto, type MotoServer } from '../support/moto-server.js';
import {
  eventually,
  overlappingWrites,
  startConsumer,
  tableMismatch,
  timedSink,
  type RunningConsumer,
  type TargetRow,
  type TimedWrite,
  KILLED_LEASE_MS,
} from '../support/consumers.js';
import { historyArbitrary } from '../support/dynamo-model.js';
import { failTimes, faultyClient } from '../support/faulty-client.js';
import { wrapSink } from '../support/wrapped-sink.js';
import { createHarness, type Harness } from '../support/sinks.js';

// The DynamoDB Streams consumer against moto (a real implementation of the DynamoDB and DynamoDB
// Streams APIs, in server mode) and the embedded database: items written, updated and deleted
// with the AWS SDK, consumed, and the target table compared with moto's table.
const target = (table: string) => table.toLowerCase().replace(/[^a-z0-9_]/g, '_');

describe.skipIf(motoSkipReason !== null)(`DynamoDB Streams consumer against moto${motoSkipReason ? ` (skipped: ${motoSkipReason})` : ''}`, () => {
  let moto: MotoServer;
  let h: Harness;
  let tables = 0;
  beforeAll(async () => {
    [moto, h] = await Promise.all([startMoto(), createHarness('pglite')]);
  });
  afterAll(async () => {
    await Promise.all([moto?.close(), h?.close()]);
  });

  const freshTable = async (prefix: string) => {
    const name = `${prefix}-${++tables}`;
    const arn = await createStreamTable(moto.dynamodb, name, [{ name: 'id', type: 'S' }]);
    return { name, arn, source: () => new DynamoDbStreamsSource(moto.streams, arn) };
  };
  const rows = (table: string) => h.query<TargetRow>(`SELECT pk, data::text AS data, deleted FROM "${target(table)}" ORDER BY pk`).catch(() => []);
  const converged = async (table: string) => tableMismatch(await scanAll(moto.dynamodb, table), ['id'], await rows(table));
  const put = (table: string, item: Record<string, AttributeValue>) => moto.dynamodb.send(new PutItemCommand({ TableName: table, Item: item }));

  it('copies inserts, updates and deletes, with exact numbers, and checkpoints the shard', async () => {
    const t = await freshTable('orders');
    await put(t.name, { id: { S: 'a' }, total: { N: '12345678901234567890.123456789' }, tags: { SS: ['x', 'y'] } });
    await put(t.name, { id: { S: 'b' }, blob: { B: new Uint8Array([0, 1, 2, 255]) }, nested: { M: { l: { L: [{ N: '1' }, { S: 'two' }] } } } });
    await put(t.name, { id: { S: 'c' }, gone: { BOOL: true } });
    await moto.dynamodb.send(
      new UpdateItemCommand({
        TableName: t.name,
        Key: { id: { S: 'a' } },
        UpdateExpression: 'SET note = :n',
        ExpressionAttributeValues: { ':n': { S: 'ünïcødé' } },
      }),
    );
    await moto.dynamodb.send(new DeleteItemCommand({ TableName: t.name, Key: { id: { S: 'c' } } }));
    const consumer = startConsumer(t.source(), h.checkpoints, h.sink);
    expect(await eventually(() => converged(t.name))).toBeNull();
    // The tombstone of c.
    expect((await rows(t.name)).find((r) => r.pk === '{"id":"c"}')?.deleted).toBe(true);
    const end = await consumer.stop();
    expect(end).toEqual({ reason: 'stopped' });
    const [checkpoint] = await h.checkpoints.load(t.arn);
    expect(checkpoint).toMatchObject({ finished: false });
    expect(checkpoint!.sequence).toMatch(/^\d{21,40}$/);
    // The lease was released: another consumer takes it at once and resumes after the checkpoint.
    expect(await h.checkpoints.acquire(t.arn, 'someone-else', 1000)).toEqual({ held: true, holder: 'someone-else' });
    await h.checkpoints.release(t.arn, 'someone-else');
    const metrics = await consumer.metrics.registry.getSingleMetricAsString('cdc_consumer_records_total');
    expect(metrics).toMatch(new RegExp(`cdc_consumer_records_total\\{stream="${t.name}",shard="[^"]+"\\} 5`));
  });

  it("converges with moto's table whatever the writes, with two consumers at once, wherever they are killed and restarted (property)", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        // moto (5.2.5) encodes a binary key in a stream record's Keys twice (its NewImage once, as
        // DynamoDB does): binary keys are left to the Kinesis suite and the decoder's own tests.
        historyArbitrary.filter((history) => history.tables.every((t) => t.keys.every((k) => k.type !== 'B'))),
        fc.uniqueArray(fc.nat(25), { maxLength: 3 }),
        fc.array(fc.nat(40), { minLength: 25, maxLength: 25 }),
        async (history, killAt, pauses) => {
          run++;
          const tables = await Promise.all(
            history.tables.map(async (spec) => {
              const name = `${spec.name}-r${run}`;
              const arn = await createStreamTable(moto.dynamodb, name, spec.keys);
              return { name, arn, keyNames: spec.keys.map((k) => k.name) };
            }),
          );
          // Two consumers per stream at once, as two processes started on it would be.
          const writes: TimedWrite[] = [];
          const start = (t: (typeof tables)[number]) => {
            const owner = `owner-${randomUUID().slice(0, 8)}`;
            return startConsumer(new DynamoDbStreamsSource(moto.streams, t.arn), h.checkpoints, timedSink(h.sink, owner, writes), {
              owner,
              batchLimit: 3,
              leaseMs: KILLED_LEASE_MS,
            });
          };
          let consumers: RunningConsumer[][] = tables.map((t) => [start(t), start(t)]);
          for (const [i, op] of history.operations.entries()) {
            if (killAt.includes(i)) {
              // kill -9 one of each pair, at whatever point it is: mid-read, mid-write, before a
              // checkpoint; another process is started in its place.
              const victim = i % 2;
              await Promise.all(consumers.map((pair) => pair[victim]!.crash()));
              consumers = consumers.map((pair, t) => pair.map((c, k) => (k === victim ? start(tables[t]!) : c)));
            }
            const table = tables[op.table]!;
            const keys = history.keyPools[op.table]![op.key]!;
            if (op.kind === 'put') await put(table.name, { ...op.attributes, ...keys } as Record<string, AttributeValue>);
            else await moto.dynamodb.send(new DeleteItemCommand({ TableName: table.name, Key: keys as Record<string, AttributeValue> }));
            await new Promise((resolve) => setTimeout(resolve, pauses[i] ?? 0));
          }
          for (const t of tables) {
            const mismatch = await eventually(async () => tableMismatch(await scanAll(moto.dynamodb, t.name), t.keyNames, await rows(t.name)));
            expect(mismatch, t.name).toBeNull();
          }
          const ends = await Promise.all(consumers.flat().map((c) => c.stop()));
          expect(ends.every((e) => e.reason === 'stopped')).toBe(true);
          expect(overlappingWrites(writes)).toBeNull();
        },
      ),
      { numRuns: 15 },
    );
  });

  const capture = () => {
    const lines: string[] = [];
    return { lines, log: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }) };
  };
  const items = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ id: { S: `item-${from + i}` }, n: { N: String(from + i) } }));

  it('renews an expired iterator from the checkpoint and backs off throttling, losing nothing', async () => {
    const t = await freshTable('flaky');
    for (const item of items(0, 12)) await put(t.name, item);
    const client = faultyClient(moto.streams, [
      // The documented errors of GetRecords (API_streams_GetRecords): two throttles, two good pages, an expiry.
      (() => {
        let calls = 0;
        return (command) =>
          command.constructor.name === 'GetRecordsCommand' && ++calls === 5
            ? new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} })
            : null;
      })(),
      failTimes('GetRecordsCommand', 2, () => new LimitExceededException({ message: 'Rate exceeded for shard', $metadata: {} })),
    ]);
    const consumer = startConsumer(new DynamoDbStreamsSource(client, t.arn), h.checkpoints, h.sink, { batchLimit: 4 });
    expect(await eventually(() => converged(t.name))).toBeNull();
    await consumer.stop();
    const errors = await consumer.metrics.registry.getSingleMetricAsString('cdc_consumer_source_errors_total');
    expect(errors).toContain(`cdc_consumer_source_errors_total{stream="${t.name}",kind="expired"} 1`);
    expect(errors).toContain(`cdc_consumer_source_errors_total{stream="${t.name}",kind="throttled"} 2`);
    // Each record was written exactly once: the renewed iterator started after the checkpoint.
    expect(await consumer.metrics.registry.getSingleMetricAsString('cdc_consumer_records_total')).toMatch(/\} 12$/m);
  });

  it('stops a shard whose checkpoint was trimmed (TrimmedDataAccessException), says how to go on, and --reset goes on', async () => {
    const t = await freshTable('trimmed');
    for (const item of items(0, 3)) await put(t.name, item);
    const first = startConsumer(t.source(), h.checkpoints, h.sink);
    expect(await eventually(() => converged(t.name))).toBeNull();
    await first.stop();
    for (const item of items(3, 6)) await put(t.name, item);
    // What DynamoDB Streams answers for a sequence number older than its 24 hours.
    const client = faultyClient(moto.streams, [
      failTimes(
        'GetShardIteratorCommand',
        Infinity,
        () => new TrimmedDataAccessException({ message: 'Requested data is beyond the trim horizon', $metadata: {} }),
        (input) => input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER',
      ),
    ]);
    const { lines, log } = capture();
    const stuck = startConsumer(new DynamoDbStreamsSource(client, t.arn), h.checkpoints, h.sink, { log });
    expect(
      await eventually(async () =>
        (await stuck.metrics.registry.getSingleMetricAsString('cdc_consumer_shards')).includes('state="trimmed"} 1') ? null : 'not trimmed',
      ),
    ).toBeNull();
    await stuck.stop();
    expect((await rows(t.name)).length).toBe(3);
    const error = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 50);
    expect(error?.msg).toMatch(/stopped: its records were trimmed .*--reset --start trim-horizon .*npm run backfill/);
    const reset = startConsumer(t.source(), h.checkpoints, h.sink, { reset: true });
    expect(await eventually(() => converged(t.name))).toBeNull();
    await reset.stop();
  });

  it("stops a shard whose checkpoint is older than the stream's retention (24 h)", async () => {
    const t = await freshTable('stale');
    await put(t.name, { id: { S: 'a' } });
    const first = startConsumer(t.source(), h.checkpoints, h.sink);
    expect(await eventually(() => converged(t.name))).toBeNull();
    await first.stop();
    await h.query(`UPDATE cdc_shard_checkpoints SET updated_at = now() - interval '25 hours' WHERE stream = $1`, [t.arn]);
    await put(t.name, { id: { S: 'b' } });
    const late = startConsumer(t.source(), h.checkpoints, h.sink);
    expect(
      await eventually(async () =>
        (await late.metrics.registry.getSingleMetricAsString('cdc_consumer_shards')).includes('state="trimmed"} 1') ? null : 'not trimmed',
      ),
    ).toBeNull();
    await late.stop();
    expect((await rows(t.name)).map((r) => r.pk)).toEqual(['{"id":"a"}']);
  });

  it('lets one of two consumers on a stream write at a time, and the other take over when it dies', async () => {
    const t = await freshTable('contended');
    const writes: { owner: string; at: number }[] = [];
    const tracked = (owner: string) => wrapSink(h.sink, async (_batch, write) => (writes.push({ owner, at: Date.now() }), write()));
    const held: { owner: string; held: boolean; at: number }[] = [];
    const start = (owner: string) =>
      startConsumer(t.source(), h.checkpoints, tracked(owner), {
        owner,
        batchLimit: 2,
        onLease: (isHeld) => held.push({ owner, held: isHeld, at: Date.now() }),
      });
    const a = start('consumer-a');
    const b = start('consumer-b');
    for (const item of items(0, 10)) await put(t.name, item);
    expect(await eventually(() => converged(t.name))).toBeNull();
    const first = held[0]!.owner;
    const [winner, loser] = first === 'consumer-a' ? [a, b] : [b, a];
    expect(held).toEqual([expect.objectContaining({ owner: first, held: true })]);
    expect(new Set(writes.map((w) => w.owner))).toEqual(new Set([first]));
    const diedAt = Date.now();
    await winner.crash();
    for (const item of items(10, 20)) await put(t.name, item);
    expect(await eventually(() => converged(t.name))).toBeNull();
    await loser.stop();
    // The survivor took the lease only once the dead one's expired, and wrote only after that.
    const takeover = held.find((e) => e.owner === loser.owner && e.held)!;
    expect(takeover.at).toBeGreaterThanOrEqual(diedAt);
    expect(writes.filter((w) => w.owner === loser.owner).every((w) => w.at >= takeover.at)).toBe(true);
    expect(writes.filter((w) => w.owner === winner.owner).every((w) => w.at <= takeover.at)).toBe(true);
  });

  it('ends cleanly once a disabled stream is read to its end (its shards closed)', async () => {
    const t = await freshTable('disabled');
    for (const item of items(0, 5)) await put(t.name, item);
    // What DynamoDB answers once the stream is disabled: DISABLED, every shard closed (an ending
    // sequence number), and GetRecords without NextShardIterator at a closed shard's end. moto
    // keeps its one shard open, so the answers are rewritten at the SDK boundary.
    let disabled = false;
    const client = faultyClient(
      moto.streams,
      [],
      [
        (command, output) => {
          if (!disabled) return output;
          if (command.constructor.name === 'DescribeStreamCommand') {
            const d = output.StreamDescription as { Shards: { SequenceNumberRange: Record<string, string> }[] };
            return {
              ...output,
              StreamDescription: {
                ...d,
                StreamStatus: 'DISABLED',
                Shards: d.Shards.map((s) => ({ ...s, SequenceNumberRange: { ...s.SequenceNumberRange, EndingSequenceNumber: '9'.repeat(30) } })),
              },
            };
          }
          if (command.constructor.name === 'GetRecordsCommand' && (output.Records as unknown[]).length === 0)
            return { ...output, NextShardIterator: undefined };
          return output;
        },
      ],
    );
    const consumer = startConsumer(new DynamoDbStreamsSource(client, t.arn), h.checkpoints, h.sink);
    expect(await eventually(() => converged(t.name))).toBeNull();
    disabled = true;
    expect(await consumer.done).toEqual({ reason: 'stream-disabled' });
    expect((await h.checkpoints.load(t.arn)).map((c) => c.finished)).toEqual([true]);
  });

  it('ends cleanly when the table is deleted', async () => {
    const t = await freshTable('doomed');
    await put(t.name, { id: { S: 'a' } });
    const consumer = startConsumer(t.source(), h.checkpoints, h.sink);
    expect(await eventually(() => converged(t.name))).toBeNull();
    await moto.dynamodb.send(new DeleteTableCommand({ TableName: t.name }));
    expect(await consumer.done).toEqual({ reason: 'stream-gone' });
  });
});
