import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.js';
import { ACCESS_KEY } from '../support/firehose.js';
import { createHarness, type Harness } from '../support/sinks.js';
import { kinesis, post, report } from '../support/records-report.js';

describe('POST /records on PGlite', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite');
  });
  afterAll(async () => h?.close());

  const state = (device: string) =>
    h.query<{ data: { temperature: number }; deleted: boolean; event_name: string }>('SELECT data, deleted, event_name FROM table_testdrive WHERE pk LIKE $1', [
      `%"device":"${device}"%`,
    ]);

  it('applies a JSON array, collapsing an item’s changes (the older one counts as stale)', async () => {
    const records = [kinesis('seed-insert', 'arr-a'), kinesis('seed-modify', 'arr-a'), kinesis('seed-insert', 'arr-b')];
    const r = await report(await h.app.request(post(JSON.stringify(records))));
    expect(r).toMatchObject({ received: 3, applied: 2, stale: 1, duplicate: 0, deadLettered: 0, empty: 0, failures: [], tables: { table_testdrive: 2 } });
    const [a] = await state('arr-a');
    expect(a).toMatchObject({ deleted: false, event_name: 'MODIFY', data: { temperature: 55.66 } });
  });

  it('counts a redelivery as duplicate and an older change as stale', async () => {
    const insert = kinesis('seed-insert', 'redo');
    const modify = kinesis('seed-modify', 'redo');
    expect(await report(await h.app.request(post(JSON.stringify([insert, modify]))))).toMatchObject({ applied: 1, stale: 1 });
    const again = await report(await h.app.request(post(JSON.stringify([modify]))));
    expect(again).toMatchObject({ received: 1, applied: 0, duplicate: 1, stale: 0, tables: { table_testdrive: 0 } });
    const late = await report(await h.app.request(post(JSON.stringify([insert]))));
    expect(late).toMatchObject({ received: 1, applied: 0, duplicate: 0, stale: 1 });
    expect((await state('redo'))[0]).toMatchObject({ event_name: 'MODIFY' });
  });

  it('applies a Lambda event {"Records": [...]} (DynamoDB Streams format), with X-Amz-Firehose-Access-Key', async () => {
    const event = fixture('streams/lambda-event.json');
    const r = await report(await h.app.request(post(JSON.stringify(event), { 'x-amz-firehose-access-key': ACCESS_KEY })));
    expect(r).toMatchObject({ received: 2, applied: 1, stale: 1, duplicate: 0, deadLettered: 0, tables: { testtable: 1 } });
    const rows = await h.query<{ pk: string; data: unknown; seq: string }>('SELECT pk, data, seq::text AS seq FROM testtable');
    expect(rows).toEqual([{ pk: expect.stringContaining('101'), data: { Id: 101, Message: 'This item has changed' }, seq: '222' }]);
  });

  it('applies a single record', async () => {
    const r = await report(await h.app.request(post(JSON.stringify(kinesis('seed-insert', 'single')))));
    expect(r).toMatchObject({ received: 1, applied: 1 });
  });

  it('takes NDJSON, and a line that is not JSON is a failure naming its line', async () => {
    const lines = [JSON.stringify(kinesis('seed-insert', 'nd-a')), '{"eventName": "INSERT", ', '', JSON.stringify(kinesis('seed-insert', 'nd-b'))];
    const response = await h.app.request(post(`${lines.join('\n')}\n`, { authorization: `Bearer ${ACCESS_KEY}`, 'content-type': 'application/x-ndjson' }));
    const r = await report(response);
    expect(r).toMatchObject({ received: 3, applied: 2, deadLettered: 1 });
    expect(r.failures).toEqual([{ index: 1, error: expect.stringMatching(/^line 2: not valid JSON/) }]);
    const [dead] = await h.query<{ payload: string; source: string; record_index: number }>(
      'SELECT payload, source, record_index FROM cdc_dead_letters WHERE request_id = $1',
      [r.requestId],
    );
    expect(dead).toEqual({ payload: '{"eventName": "INSERT",', source: 'records', record_index: 1 });
  });

  it('dead-letters records that are not CDC records, naming each one and its field', async () => {
    const noKeys = kinesis('seed-insert', 'bad-keys');
    delete noKeys.dynamodb.Keys;
    const badName = kinesis('seed-insert', 'bad-name');
    badName.eventName = 'UPSERT';
    const good = kinesis('seed-insert', 'poison-neighbour');
    const r = await report(await h.app.request(post(JSON.stringify([{ hello: randomUUID() }, good, noKeys, 'text', badName]))));
    expect(r).toMatchObject({ received: 5, applied: 1, deadLettered: 4 });
    expect(r.failures.map((f) => f.index)).toEqual([0, 2, 3, 4]);
    expect(r.failures[0]!.error).toMatch(/^records\[0\]\.dynamodb: /);
    expect(r.failures[1]!.error).toMatch(/^records\[2\]\.dynamodb\.Keys/);
    expect(r.failures[2]!.error).toMatch(/^records\[3\]: not a JSON object/);
    expect(r.failures[3]!.error).toMatch(/^records\[4\]\.eventName: unknown eventName "UPSERT"/);
    expect(await state('poison-neighbour')).toHaveLength(1);
  });

  it('names a bad record of a Lambda event by its place in Records', async () => {
    const event = fixture<{ Records: Record<string, any>[] }>('streams/lambda-event.json');
    event.Records[1]!.dynamodb.SequenceNumber = 'not-a-number';
    const r = await report(await h.app.request(post(JSON.stringify(event))));
    expect(r.failures).toEqual([{ index: 1, error: expect.stringMatching(/^Records\[1\]\.dynamodb\.SequenceNumber: /) }]);
  });

  it('echoes X-Request-Id, and makes one up without it', async () => {
    const withId = await report(await h.app.request(post('[]', { authorization: `Bearer ${ACCESS_KEY}`, 'x-request-id': 'replay-42' })));
    expect(withId.requestId).toBe('replay-42');
    const without = await report(await h.app.request(post('[]')));
    expect(without.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts a gzip body', async () => {
    const body = gzipSync(JSON.stringify([kinesis('seed-insert', 'gz')]));
    const r = await report(await h.app.request(post(body, { authorization: `Bearer ${ACCESS_KEY}`, 'content-encoding': 'gzip' })));
    expect(r).toMatchObject({ received: 1, applied: 1 });
  });
});
