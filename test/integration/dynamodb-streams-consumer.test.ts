import { DeleteItemCommand, DeleteTableCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbStreamsSource } from '../../src/consume/dynamodb-streams-source.js';
import { scanAll } from '../support/dynamodb-server.js';
import { createStreamTable, motoSkipReason, startMoto, type MotoServer } from '../support/moto-server.js';
import { eventually, startConsumer, tableMismatch, type TargetRow } from '../support/consumers.js';
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
    await moto.dynamodb.send(new UpdateItemCommand({ TableName: t.name, Key: { id: { S: 'a' } }, UpdateExpression: 'SET note = :n', ExpressionAttributeValues: { ':n': { S: 'ünïcødé' } } }));
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

  it('ends cleanly when the table is deleted', async () => {
    const t = await freshTable('doomed');
    await put(t.name, { id: { S: 'a' } });
    const consumer = startConsumer(t.source(), h.checkpoints, h.sink);
    expect(await eventually(() => converged(t.name))).toBeNull();
    await moto.dynamodb.send(new DeleteTableCommand({ TableName: t.name }));
    expect(await consumer.done).toEqual({ reason: 'stream-gone' });
  });
});
