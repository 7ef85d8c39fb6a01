import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWith } from '../../support/app-with.js';
import { fixture } from '../../support/fixtures.js';
import { ACCESS_KEY } from '../../support/firehose.js';
import { createHarness, type Harness } from '../../support/sinks.js';
import { downSink, stubSink } from '../../support/stub-sink.js';

interface Report {
  requestId: string;
  received: number;
  applied: number;
  stale: number;
  duplicate: number;
  deadLettered: number;
  empty: number;
  failures: { index: number; error: string }[];
  tables: Record<string, number>;
}

const REPORT_KEYS = ['applied', 'deadLettered', 'diverted', 'duplicate', 'empty', 'failures', 'received', 'requestId', 'stale', 'tables'];

function post(body: string | Uint8Array, headers: Record<string, string> = { authorization: `Bearer ${ACCESS_KEY}` }): Request {
  return new Request('http://sink.test/records', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** Checks the 200 contract and that every record is counted exactly once. */
async function report(response: Response): Promise<Report> {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as Report;
  expect(Object.keys(body).sort()).toEqual(REPORT_KEYS);
  expect(body.applied + body.stale + body.duplicate + body.deadLettered + body.empty).toBe(body.received);
  expect(body.failures).toHaveLength(body.deadLettered);
  return body;
}

async function refusal(response: Response, status: number): Promise<{ requestId: string; error: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { requestId: string; error: string };
  expect(Object.keys(body).sort()).toEqual(['error', 'requestId']);
  expect(body.error.length).toBeGreaterThan(0);
  return body;
}

/** A seed record (Kinesis format) for an item of its own. */
function kinesis(name: 'seed-insert' | 'seed-modify' | 'seed-remove', device: string) {
  const record = fixture(`kinesis/${name}.json`);
  record.eventID = randomUUID();
  record.dynamodb.Keys.device.S = device;
  for (const image of ['NewImage', 'OldImage']) if (record.dynamodb[image]) record.dynamodb[image].device.S = device;
  return record;
}

describe('POST /records on PGlite', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite');
  });
  afterAll(async () => h?.close());

  const state = (device: string) =>
    h.query<{ data: { temperature: number }; deleted: boolean; event_name: string }>(
      'SELECT data, deleted, event_name FROM table_testdrive WHERE pk LIKE $1',
      [`%"device":"${device}"%`],
    );

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
    expect(r.failures[0]!.error).toMatch(/^\[0\]\.dynamodb: /);
    expect(r.failures[1]!.error).toMatch(/^\[2\]\.dynamodb\.Keys/);
    expect(r.failures[2]!.error).toMatch(/^\[3\]: not a JSON object/);
    expect(r.failures[3]!.error).toMatch(/^\[4\]\.eventName: unknown eventName "UPSERT"/);
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

describe('POST /records: refusals', () => {
  const records = JSON.stringify([kinesis('seed-insert', 'x')]);

  it('refuses a missing, wrong or malformed key with 401', async () => {
    const sink = stubSink();
    const { app } = appWith(sink);
    const headerSets: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${Buffer.from(`user:${ACCESS_KEY}`).toString('base64')}` },
      { authorization: ACCESS_KEY },
      { 'x-amz-firehose-access-key': 'wrong' },
      // The Firehose header wins over Authorization when both are sent.
      { 'x-amz-firehose-access-key': 'wrong', authorization: `Bearer ${ACCESS_KEY}` },
    ];
    for (const headers of headerSets) {
      const body = await refusal(await app.request(post(records, { 'x-request-id': 'r-401', ...headers })), 401);
      expect(body.requestId).toBe('r-401');
    }
    expect(sink.batches).toHaveLength(0);
  });

  it('accepts the key as Bearer (any case) or as X-Amz-Firehose-Access-Key, and rotated keys', async () => {
    const { app } = appWith(stubSink(), { env: { ACCESS_KEY: 'old,new' } });
    const headerSets: Record<string, string>[] = [{ authorization: 'Bearer old' }, { authorization: 'bearer new' }, { 'x-amz-firehose-access-key': 'new' }];
    for (const headers of headerSets) {
      expect(await report(await app.request(post(records, headers)))).toMatchObject({ received: 1, applied: 1 });
    }
  });

  it('refuses a body that is no record container with 400', async () => {
    const { app } = appWith(stubSink());
    for (const text of ['hello', '42', '"text"', 'null', '{"Records": 5}', '']) {
      const body = await refusal(await app.request(post(text)), 400);
      expect(body.error).toMatch(/JSON|Records|NDJSON/);
    }
  });

  it('refuses a body that is not valid UTF-8 with 400, rather than rewriting its bytes to U+FFFD', async () => {
    const sink = stubSink();
    const { app } = appWith(sink);
    const record = JSON.stringify(kinesis('seed-insert', 'utf8'));
    const at = Buffer.byteLength(record.slice(0, record.indexOf('"utf8"') + 1));
    const bytes = Buffer.from(record);
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80] /* a lone surrogate */, [0xc0, 0xaf] /* overlong "/" */]) {
      const body = Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)]);
      for (const sent of [body, gzipSync(body)]) {
        const headers = { authorization: `Bearer ${ACCESS_KEY}`, ...(sent === body ? {} : { 'content-encoding': 'gzip' }) };
        expect((await refusal(await app.request(post(sent, headers)), 400)).error).toBe('body is not valid UTF-8: nothing was written (send the records as UTF-8)');
      }
    }
    expect(sink.batches).toHaveLength(0);
    expect(await report(await app.request(post(bytes)))).toMatchObject({ received: 1, applied: 1 });
  });

  it('refuses a body over MAX_BODY_BYTES with 413 (this endpoint is not Firehose’s)', async () => {
    const { app } = appWith(stubSink(), { config: { maxBodyBytes: 64 } });
    const body = await refusal(await app.request(post(records)), 413);
    expect(body.error).toMatch(/exceeds 64 bytes/);
  });

  it('answers 503 when the database is down', async () => {
    const { app } = appWith(downSink());
    const body = await refusal(await app.request(post(records)), 503);
    expect(body.error).toMatch(/connection refused/);
  });
});
