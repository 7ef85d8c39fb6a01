import { parse as parseLossless, type LosslessNumber } from 'lossless-json';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { readJson } from '../support/read-json.js';
import { firehoseBody, firehoseRequest } from '../support/firehose.js';
import { keysOnlyRecord, kinesisRecord, recordsRequest } from '../support/records.js';
import { createHarness, describeTargets, postgresUrl, sinkTargets } from '../support/sinks.js';

// One contract, run against every sink: what README promises about the tables.
describeTargets('sink contract:', sinkTargets, { CHANGE_LOG: 'true' }, (h) => {
  const post = async (records: unknown[]) => {
    const response = await h.app.request(recordsRequest(records));
    expect(response.status).toBe(200);
    return readJson(response);
  };
  const row = (table: string, id: string) => h.row(table, { id });

  it('counts applied, stale and duplicate records', async () => {
    const newer = kinesisRecord({ id: 'a', micros: 2_000, attributes: { v: { N: '2' } } });
    const older = kinesisRecord({ id: 'a', micros: 1_000, attributes: { v: { N: '1' } } });
    expect(await post([newer])).toMatchObject({ received: 1, applied: 1, stale: 0, duplicate: 0, deadLettered: 0 });
    expect(await post([older, newer])).toMatchObject({ received: 2, applied: 0, stale: 1, duplicate: 1 });
    expect(await row('contract_items', 'a')).toMatchObject({ data: '{"id":"a","v":2}', version: '2000', event_name: 'INSERT' });
  });

  it('keeps every digit of DynamoDB numbers, in data where the database can hold them', async () => {
    const big = '12345678901234567890123456789012345678';
    const huge = `1${'0'.repeat(125)}`;
    const tiny = `0.${'0'.repeat(129)}1`;
    await post([kinesisRecord({ id: 'n', micros: 5_000, attributes: { big: { N: big }, huge: { N: '1E+125' }, tiny: { N: '1E-130' } } })]);
    const item = parseLossless((await row('contract_items', 'n'))!.item) as Record<string, LosslessNumber>;
    expect([item.big!.value, item.huge!.value, item.tiny!.value]).toEqual([big, huge, tiny]);
    for (const [name, digits] of Object.entries({ big, huge, tiny })) await h.expectNumberKept('contract_items', { id: 'n' }, name, digits);
  });

  it('dead-letters a row the database refuses and applies its neighbours', async () => {
    await h.refuseNul('contract_nul');
    const bad = kinesisRecord({ table: 'contract-nul', id: 'nul', micros: 7_000, attributes: { s: { S: 'a\u0000b' } } });
    const good = kinesisRecord({ table: 'contract-nul', id: 'fine', micros: 7_000 });
    const result = await post([bad, good]);
    expect(result).toMatchObject({ applied: 1, deadLettered: 1 });
    expect(result.failures[0].index).toBe(0);
    expect(await row('contract_nul', 'fine')).toBeDefined();
    expect(await row('contract_nul', 'nul')).toBeUndefined();
    const letters = await h.deadLetters({ sourceTable: 'contract-nul' });
    // The state table and the change log each refused it.
    expect(letters.map((l) => [l.source, l.error.replace(/:.*/s, '')])).toEqual([
      ['sink', `${h.sink.kind} refused the change-log row`],
      ['sink', `${h.sink.kind} refused the row`],
    ]);
  });

  it('stores keys as long as DynamoDB allows (2,048 + 1,024 bytes), in any script', async () => {
    const partition = `${'é😀"\\\u0001ж'.repeat(186)}ab`;
    const sort = `${'中'.repeat(341)}z`;
    expect([Buffer.byteLength(partition), Buffer.byteLength(sort)]).toEqual([2_048, 1_024]);
    const keys = { p: { S: partition }, s: { S: sort } };
    const record = kinesisRecord({ table: 'contract-long-keys', id: 'unused', micros: 1_000 });
    Object.assign(record.dynamodb as object, { Keys: keys, NewImage: { ...keys, v: { N: '1' } } });
    expect(await post([record])).toMatchObject({ applied: 1, deadLettered: 0 });
    const newer = kinesisRecord({ table: 'contract-long-keys', id: 'unused', micros: 2_000 });
    Object.assign(newer.dynamodb as object, { Keys: keys, NewImage: { ...keys, v: { N: '2' } } });
    expect(await post([newer])).toMatchObject({ applied: 1, deadLettered: 0 });
    const [state] = await h.rows('contract_long_keys');
    expect(JSON.parse(state!.pk)).toEqual({ p: partition, s: sort });
    expect(JSON.parse(state!.item)).toEqual({ p: partition, s: sort, v: 2 });
  });

  it('stores a poison record once however often Firehose redelivers it', async () => {
    const body = firehoseBody(['aGVsbG8gcG9pc29u', 'aGVsbG8gcG9pc29u']);
    for (let i = 0; i < 2; i++) expect((await h.app.request(firehoseRequest({ ...body, requestId: `r${i}` }))).status).toBe(200);
    expect(await h.deadLetters({ payload: 'aGVsbG8gcG9pc29u' })).toHaveLength(1);
  });

  it('writes tombstones that keep their version and mark TTL deletes', async () => {
    await post([kinesisRecord({ id: 't', micros: 10_000 }), kinesisRecord({ id: 't', eventName: 'REMOVE', micros: 11_000, ttl: true })]);
    expect(await row('contract_items', 't')).toMatchObject({ deleted: true, version: '11000', ttl_expired: true, data: '{"id":"t"}' });
    // An INSERT older than the tombstone arrives late: the item stays deleted.
    expect(await post([kinesisRecord({ id: 't', micros: 10_500, eventId: 'late' })])).toMatchObject({ stale: 1 });
    expect(await row('contract_items', 't')).toMatchObject({ deleted: true });
  });

  it('appends every change once to the change log', async () => {
    const records = [
      kinesisRecord({ id: 'log', micros: 20_000 }),
      kinesisRecord({ id: 'log', eventName: 'MODIFY', micros: 21_000, attributes: { x: { BOOL: true } } }),
    ];
    await post(records);
    await post(records.reverse());
    expect(await h.changeLog('contract_items', { id: 'log' })).toEqual([
      { event_name: 'INSERT', version: '20000' },
      { event_name: 'MODIFY', version: '21000' },
    ]);
  });

  it('keeps the stored item when a keys-only stream reports a change', async () => {
    await post([kinesisRecord({ id: 'k', micros: 30_000, attributes: { full: { S: 'yes' } } })]);
    const keysOnly = keysOnlyRecord('contract-items', 'k', 'keys-only-1');
    // A Streams timestamp of 1 s is 1,000,000 µs: newer than the 30,000 µs insert.
    expect(await post([keysOnly])).toMatchObject({ applied: 1 });
    expect(await row('contract_items', 'k')).toMatchObject({ data: '{"full":"yes","id":"k"}', keys_only: true, event_id: 'keys-only-1' });
  });

  it('purges tombstones older than the retention and nothing else', async () => {
    await post([
      kinesisRecord({ table: 'purge-me', id: 'old', micros: 1_000 }),
      kinesisRecord({ table: 'purge-me', id: 'old', eventName: 'REMOVE', micros: 2_000, eventId: 'old-rm' }),
      kinesisRecord({ table: 'purge-me', id: 'recent', micros: 1_000 }),
      kinesisRecord({ table: 'purge-me', id: 'live', micros: 1_000 }),
    ]);
    await post([kinesisRecord({ table: 'purge-me', id: 'recent', eventName: 'REMOVE', micros: 9_000 })]);
    expect(await h.sink.purgeTombstones(5_000)).toBeGreaterThanOrEqual(1);
    expect((await h.pks('purge_me')).map((pk) => JSON.parse(pk).id)).toEqual(['live', 'recent']);
  });

  it('creates a table again when it was dropped while the service runs', async () => {
    await post([kinesisRecord({ table: 'dropped', id: 'x', micros: 1 })]);
    await h.dropTable('dropped');
    expect(await post([kinesisRecord({ table: 'dropped', id: 'y', micros: 2 })])).toMatchObject({ applied: 1 });
    expect(await h.pks('dropped')).toEqual(['{"id":"y"}']);
  });
});

describe('table map', () => {
  it('routes every table to one target with *', async () => {
    const h = await createHarness('pglite', { TABLE_MAP: '*=transactions' });
    try {
      await h.app.request(recordsRequest([kinesisRecord({ table: 'Orders', id: 'o', micros: 1 }), kinesisRecord({ table: 'Users', id: 'u', micros: 1 })]));
      const rows = await h.query<{ source_table: string }>('SELECT source_table FROM transactions ORDER BY source_table');
      expect(rows.map((r) => r.source_table)).toEqual(['Orders', 'Users']);
    } finally {
      await h.close();
    }
  });
});

describe.skipIf(!postgresUrl)(`a stuck postgres statement${postgresUrl ? '' : ' (skipped: TEST_POSTGRES_URL is not set)'}`, () => {
  it('is cancelled after SINK_REQUEST_TIMEOUT_MS: the delivery answers 503 and frees its slot, and the retry succeeds', async () => {
    // Far above what a loaded machine makes of an ordinary statement: only the locked one meets it.
    const h = await createHarness('postgres', { SINK_REQUEST_TIMEOUT_MS: '5000', DELIVERY_TIMEOUT_SECONDS: '30' });
    const locker = new pg.Client({ connectionString: postgresUrl });
    try {
      expect((await h.app.request(recordsRequest([kinesisRecord({ table: 'stuck', id: 'a', micros: 1 })]))).status).toBe(200);
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${h.schema}"."stuck" IN ACCESS EXCLUSIVE MODE`);
      const body = firehoseBody([kinesisRecord({ table: 'stuck', id: 'b', micros: 2 })]);
      const response = await h.app.request(firehoseRequest(body));
      expect(response.status).toBe(503);
      expect((await readJson(response)).errorMessage).toMatch(/statement timeout/);
      // The write was cancelled, not left waiting on the lock: no slot is still taken.
      expect(h.app.gate.inFlight).toBe(0);
      await locker.query('ROLLBACK');
      expect((await h.app.request(firehoseRequest(body))).status).toBe(200);
    } finally {
      await locker.end().catch(() => undefined);
      await h.close();
    }
  });
});

describe.skipIf(!postgresUrl)(`a database outage${postgresUrl ? '' : ' (skipped: TEST_POSTGRES_URL is not set)'}`, () => {
  it('answers 503 with an errorMessage so that Firehose retries, and 200 once the database is back', async () => {
    const down = await createHarness('postgres', { SINK_URL: 'postgres://postgres@127.0.0.1:1/test', SINK_CONNECT_TIMEOUT_MS: '500' });
    try {
      const body = firehoseBody([kinesisRecord({ id: 'outage', micros: 1 })]);
      const response = await down.app.request(firehoseRequest(body));
      expect(response.status).toBe(503);
      const answer = await readJson(response);
      expect(Object.keys(answer).sort()).toEqual(['errorMessage', 'requestId', 'timestamp']);
      expect(answer.errorMessage).toMatch(/postgres/);
      expect((await down.app.request('/readyz')).status).toBe(503);
    } finally {
      await down.sink.close();
    }
  });
});
