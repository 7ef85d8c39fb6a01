import { TargetTables } from '../../src/pipeline/target-tables.js';
import { tableNaming } from '../../src/translate/target-name.js';
import pino from 'pino';
import { expect, it } from 'vitest';
import { createLambdaHandler, LambdaBatchError } from '../../src/lambda/lambda-handler.js';
import { SinkError, type Sink } from '../../src/sink/sink.js';
import { fixture, seedRecords } from '../support/fixtures.js';
import { kinesisEvent, sequenceNumbers } from '../support/lambda-events.js';
import { kinesisRecord } from '../support/records.js';
import { describeTargets, sinkTargets } from '../support/sinks.js';
import { downSink } from '../support/stub-sink.js';
import { wrapSink } from '../support/wrapped-sink.js';

// The Lambda handler over a real database, fed the event shapes Lambda delivers: Kinesis event
// source mappings wrapping the Kinesis-for-DynamoDB fixtures, and the DynamoDB Streams fixture.
const log = pino({ level: 'silent' });
const context = { awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678' };
const kinesisFixtures = () =>
  ['seed-insert', 'seed-modify', 'seed-remove', 'millisecond-modify-unicode', 'binary-double-base64-modify'].map((n) => fixture(`kinesis/${n}.json`));

interface Row {
  pk: string;
  data: Record<string, unknown>;
  deleted: boolean;
}

describeTargets('lambda handler into', sinkTargets, {}, (h) => {
  const handlerWith = (sink: Sink = h.sink) =>
    createLambdaHandler({
      sink,
      log,
      targets: new TargetTables(tableNaming(new Map(), 'cdc_dead_letters'), sink),
      changeLog: false,
      futureChangeMarginSeconds: 24 * 3600,
    });
  const rows = async (table: string): Promise<Row[]> => (await h.rows(table)).map((r) => ({ pk: r.pk, data: JSON.parse(r.data), deleted: r.deleted }));

  it('applies a Kinesis event source mapping batch of the real Kinesis-for-DynamoDB records', async () => {
    const response = await handlerWith()(kinesisEvent(kinesisFixtures()), context);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await rows('table_testdrive')).toMatchObject([
      { pk: '{"device":"foo","timestamp":"2024-07-12T01:17:42"}', deleted: true },
      { pk: '{"device":"qux","timestamp":"2024-07-12T01:17:42"}', deleted: false, data: { device: 'qux', temperature: 42.42 } },
    ]);
    expect(await rows('cities')).toMatchObject([{ pk: '{"key":"t0926"}', deleted: false }]);
    expect(await rows('ksdsbinarytesting')).toHaveLength(1);
    // Lambda delivers at least once: the same batch again changes nothing.
    expect(await handlerWith()(kinesisEvent(kinesisFixtures()), context)).toEqual({ batchItemFailures: [] });
    expect(await rows('table_testdrive')).toHaveLength(2);
  });

  it('logs one line per batch counting every record: applied, stale, duplicate, dead-lettered, empty, failed', async () => {
    const lines: Record<string, unknown>[] = [];
    const counting = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const handler = createLambdaHandler({
      sink: h.sink,
      log: counting,
      targets: new TargetTables(tableNaming(new Map(), 'cdc_dead_letters'), h.sink),
      changeLog: false,
      futureChangeMarginSeconds: 24 * 3600,
    });
    const records = [
      kinesisRecord({ table: 'lambda-log', id: 'a', micros: 1_720_740_233_000_010 }),
      kinesisRecord({ table: 'lambda-log', id: 'b', micros: 1_720_740_233_000_011 }),
    ];
    await handler(kinesisEvent(records), context);
    // Again, plus an older change of `a`: two duplicates and one stale.
    await handler(kinesisEvent([...records, kinesisRecord({ table: 'lambda-log', id: 'a', micros: 1_720_740_233_000_001, eventName: 'MODIFY' })]), context);
    const batches = lines.filter((l) => l.msg === 'lambda batch applied');
    expect(batches[0]).toMatchObject({ received: 2, applied: 2, stale: 0, duplicate: 0, deadLettered: 0, empty: 0, failed: 0 });
    expect(batches[1]).toMatchObject({ received: 3, applied: 0, stale: 1, duplicate: 2, deadLettered: 0, empty: 0, failed: 0 });
  });

  it('applies the DynamoDB Streams event of the AWS documentation', async () => {
    const response = await handlerWith()(fixture('streams/lambda-event.json'), context);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await rows('testtable')).toMatchObject([{ pk: '{"Id":101}', deleted: false, data: { Id: 101, Message: 'This item has changed' } }]);
  });

  it('dead-letters poison records without reporting them, and applies the rest', async () => {
    const poison = [
      'bm90IGJhc2U2NA==!', // not base64
      Buffer.from('hello').toString('base64'), // not JSON
      { ...kinesisRecord({ table: 'lambda-poison', id: 'p1', micros: 1_720_740_233_000_001 }), eventName: 'UPSERT' },
    ];
    const good = [
      kinesisRecord({ table: 'lambda-poison', id: 'ok-1', micros: 1_720_740_233_000_002 }),
      kinesisRecord({ table: 'lambda-poison', id: 'ok-2', micros: 1_720_740_233_000_003 }),
    ];
    const event = kinesisEvent([good[0], ...poison, good[1]]);
    event.Records.push({ ...event.Records[0]!, kinesis: { ...event.Records[0]!.kinesis, data: '', sequenceNumber: '1' } }); // empty data: nothing to do
    expect(await handlerWith()(event, context)).toEqual({ batchItemFailures: [] });
    expect((await rows('lambda_poison')).map((r) => r.pk)).toEqual(['{"id":"ok-1"}', '{"id":"ok-2"}']);
    const letters = await h.deadLetters({ source: 'lambda' });
    expect(letters.map((d) => d.error)).toEqual([
      'Records[1].kinesis.data: not valid base64',
      expect.stringMatching(/^Records\[2\]\.kinesis\.data: not valid JSON/),
      'Records[3].kinesis.data.eventName: unknown eventName "UPSERT" (expected INSERT, MODIFY or REMOVE)',
    ]);
    expect(letters[0]!.payload).toBe(poison[0]);
  });

  it('dead-letters a row the database refuses without reporting it', async () => {
    const event = kinesisEvent([
      kinesisRecord({ table: 'lambda-nul', id: 'fine', micros: 1_720_740_235_000_001 }),
      kinesisRecord({ table: 'lambda-nul', id: 'nul', micros: 1_720_740_235_000_002, attributes: { note: { S: 'a\u0000b' } } }),
    ]);
    await h.refuseNul('lambda_nul');
    expect(await handlerWith()(event, context)).toEqual({ batchItemFailures: [] });
    expect((await rows('lambda_nul')).map((r) => r.pk)).toEqual(['{"id":"fine"}']);
    const refused = await h.deadLetters({ sourceTable: 'lambda-nul' });
    expect(refused.map(({ source, error }) => ({ source, error }))).toEqual([{ source: 'sink', error: expect.stringMatching(/refused the row/) }]);
  });

  it('reports exactly the records of the one table the database refuses, by sequence number', async () => {
    // A table in the way that does not have the target's columns: every write to it fails.
    await h.blockTable('lambda_refused');
    const records = [
      kinesisRecord({ table: 'lambda-accepted', id: 'a1', micros: 1_720_740_234_000_001 }),
      kinesisRecord({ table: 'lambda-refused', id: 'r1', micros: 1_720_740_234_000_002 }),
      kinesisRecord({ table: 'lambda-accepted', id: 'a2', micros: 1_720_740_234_000_003 }),
      'bm90IGJhc2U2NA==?', // poison: dead-lettered, never reported
      kinesisRecord({ table: 'lambda-refused', id: 'r2', eventName: 'REMOVE', micros: 1_720_740_234_000_004 }),
      kinesisRecord({ table: 'lambda-accepted', id: 'a3', micros: 1_720_740_234_000_005 }),
    ];
    const event = kinesisEvent(records);
    const response = await handlerWith()(event, context);
    expect(response).toEqual({ batchItemFailures: sequenceNumbers(event, [1, 4]) });
    expect((await rows('lambda_accepted')).map((r) => r.pk)).toEqual(['{"id":"a1"}', '{"id":"a2"}', '{"id":"a3"}']);
    expect((await h.deadLetters()).some((d) => d.error === 'Records[3].kinesis.data: not valid base64')).toBe(true);

    // Lambda retries from the lowest reported sequence number; once the table is fixed, the retry succeeds.
    await h.dropTable('lambda_refused');
    const retry = { Records: event.Records.slice(1) };
    expect(await handlerWith()(retry, context)).toEqual({ batchItemFailures: [] });
    expect(await rows('lambda_refused')).toMatchObject([
      { pk: '{"id":"r1"}', deleted: false },
      { pk: '{"id":"r2"}', deleted: true },
    ]);
  });

  it('reports DynamoDB Streams records by their SequenceNumber when their table is down', async () => {
    const sink = wrapSink(h.sink, async (batch, write) =>
      batch.tables.some((t) => t.table === 'testtable') ? { ok: false, error: new SinkError('testtable: lock timeout', true) } : write(),
    );
    const event = fixture('streams/lambda-event.json');
    const other = structuredClone(event.Records[0]);
    other.eventSourceARN = other.eventSourceARN.replace('table/TestTable', 'table/OtherTable');
    other.dynamodb.SequenceNumber = '333';
    event.Records.push(other);
    expect(await handlerWith(sink)(event, context)).toEqual({ batchItemFailures: [{ itemIdentifier: '111' }, { itemIdentifier: '222' }] });
    expect(await rows('othertable')).toHaveLength(1);
  });

  it('reports every record, poison included, when the database is down altogether', async () => {
    const event = kinesisEvent([...seedRecords(), 'bm90IGJhc2U2NA==#']);
    expect(await handlerWith(downSink())(event, context)).toEqual({ batchItemFailures: sequenceNumbers(event, [0, 1, 2, 3]) });
  });

  it('fails the whole batch when it cannot name a failed record, or the event is not an event', async () => {
    const event = fixture('streams/lambda-event.json');
    delete event.Records[1].dynamodb.SequenceNumber;
    const failure = handlerWith(downSink())(event, context);
    await expect(failure).rejects.toBeInstanceOf(LambdaBatchError);
    await expect(failure).rejects.toMatchObject({ code: 'NO_ITEM_IDENTIFIER' });
    await expect(handlerWith()({ records: [] }, context)).rejects.toMatchObject({ code: 'NOT_AN_EVENT' });
  });
});
