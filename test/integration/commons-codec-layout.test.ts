import { stringify } from 'lossless-json';
import { expect, it } from 'vitest';
import { fixture, seedRecords } from '../support/fixtures.js';
import { firehoseBody, firehoseRequest } from '../support/firehose.js';
import { CommonsCodecTables } from '../../src/sink/cratedb/commons-codec-tables.js';
import { CrateDbClient } from '../../src/sink/cratedb/cratedb-client.js';
import { parseCrateDbUrl } from '../../src/sink/cratedb/cratedb-url.js';
import type { RowOutcome } from '../../src/sink/sink.js';
import { candidateNames } from '../../src/translate/target-name.js';
import type { RowWrite } from '../../src/translate/write-batch.js';
import { readJson } from '../support/read-json.js';
import { keysOnlyRecord, kinesisRecord, recordsRequest } from '../support/records.js';
import { crateDbTargets, describeTargets, type Harness } from '../support/sinks.js';

// LAYOUT=commons-codec on the stand-in and, where CRATEDB_URL is set, a real CrateDB: the user's
// table as commons-codec's DynamoDBCDCTranslator writes it (pk, data, aux), deleted items gone.

interface CodecRow {
  pk: Record<string, unknown>;
  data: Record<string, unknown>;
  aux: Record<string, unknown>;
  [column: string]: unknown;
}

/** SQL in CrateDB's own dialect: through the stand-in's `/_sql`, or the live CrateDB. */
async function crateSql(h: Harness, stmt: string, args: unknown[] = []): Promise<void> {
  if (!h.standIn) {
    await h.query(stmt, args);
    return;
  }
  const response = await fetch(`${h.standIn.url}/_sql`, { method: 'POST', body: JSON.stringify({ stmt, args }) });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** The user's table as a user of commons-codec reads it (numbers as plain JSON numbers). */
async function codecRows(h: Harness, table: string, columns = 'pk, data, aux'): Promise<CodecRow[]> {
  const rows = await h.query<CodecRow>(`SELECT ${columns} FROM "${table}"`);
  const plain = rows.map((r) => JSON.parse(stringify(r)!) as CodecRow);
  return plain.sort((a, b) => JSON.stringify(a.pk).localeCompare(JSON.stringify(b.pk)));
}

async function deliver(h: Harness, records: readonly unknown[]): Promise<void> {
  const response = await h.app.request(firehoseRequest(firehoseBody(records)));
  expect(response.status, await response.clone().text()).toBe(200);
}

/** A seed INSERT of `device` at `version` µs, with `temperature`. */
function reading(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', device: string, version: number, temperature?: number, tableName = 'table-testdrive') {
  const record = fixture(`kinesis/seed-${eventName === 'INSERT' ? 'insert' : eventName === 'MODIFY' ? 'modify' : 'remove'}.json`);
  record.tableName = tableName;
  record.eventID = `${eventName}-${device}-${version}`;
  record.dynamodb.ApproximateCreationDateTime = version;
  record.dynamodb.Keys.device.S = device;
  for (const image of ['NewImage', 'OldImage']) {
    if (!record.dynamodb[image]) continue;
    record.dynamodb[image].device.S = device;
    if (temperature !== undefined) record.dynamodb[image].temperature.N = String(temperature);
  }
  return record;
}

const KEY = { timestamp: '2024-07-12T01:17:42' };

describeTargets('the commons-codec layout on', crateDbTargets, { LAYOUT: 'commons-codec', MAX_CONCURRENT_DELIVERIES: '64', CHANGE_LOG: 'true' }, (h) => {
  it('the seed delivery lands as commons-codec writes it: keys in pk, the rest in data as doubles, foo deleted', async () => {
    const body = fixture('../../examples/seed-delivery.json');
    const response = await h.app.request(firehoseRequest(body));
    expect(response.status).toBe(200);
    expect(Object.keys(await readJson(response)).sort()).toEqual(['requestId', 'timestamp']);
    // commons-codec: INSERT qux, INSERT foo, UPDATE foo, DELETE foo.
    expect(await codecRows(h, 'table_testdrive')).toEqual([{ pk: { device: 'qux', ...KEY }, data: { humidity: 84.84, temperature: 42.42 }, aux: {} }]);
    const [count] = await h.query<{ n: unknown }>('SELECT count(*) AS n FROM "table_testdrive"');
    expect(Number(count!.n)).toBe(1);
    // The state beside it keeps the tombstone (the gate) and the exact item.
    const state = await h.rows('table_testdrive__cdc_state');
    expect(state.map((r) => [JSON.parse(r.pk).device, r.deleted])).toEqual([
      ['foo', true],
      ['qux', false],
    ]);
  });

  it('gives the user table the column types commons-codec gives it: key columns, DOUBLE for numbers', async () => {
    const columns = await h.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = '${h.schema}' AND table_name = 'table_testdrive'`,
    );
    const types = Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]));
    if (h.standIn) {
      expect(types).toMatchObject({ pk: 'jsonb', data: 'jsonb', aux: 'jsonb', version: 'bigint', seq: 'text', event_id: 'text' });
    } else {
      expect(types).toMatchObject({
        pk: 'object',
        "pk['device']": 'text',
        "pk['timestamp']": 'text',
        data: 'object',
        "data['humidity']": 'double precision',
        "data['temperature']": 'double precision',
        aux: 'object',
        version: 'bigint',
      });
      // A commons-codec user's query, unchanged.
      expect(await h.query(`SELECT data['temperature'] AS t FROM "table_testdrive" WHERE pk['device'] = 'qux'`)).toEqual([{ t: expect.anything() }]);
    }
  });

  it('changes nothing when the delivery comes again, reversed, or a late MODIFY older than the delete', async () => {
    const before = await codecRows(h, 'table_testdrive', 'pk, data, aux, version, seq, event_id');
    await deliver(h, seedRecords().reverse());
    const modify = fixture('kinesis/seed-modify.json');
    modify.eventID = 'late-redelivery';
    await deliver(h, [modify]);
    expect(await codecRows(h, 'table_testdrive', 'pk, data, aux, version, seq, event_id')).toEqual(before);
  });

  it('converges over reordered deliveries: a delete then an older insert stays deleted, modifies end at the newest', async () => {
    await deliver(h, [reading('REMOVE', 'gone', 2_000)]);
    await deliver(h, [reading('INSERT', 'gone', 1_000, 1)]);
    await deliver(h, [reading('MODIFY', 'kept', 3_000, 3)]);
    await deliver(h, [reading('MODIFY', 'kept', 1_000, 1)]);
    await deliver(h, [reading('MODIFY', 'kept', 2_000, 2)]);
    const rows = await codecRows(h, 'table_testdrive');
    expect(rows.map((r) => r.pk.device)).toEqual(['kept', 'qux']);
    expect(rows[0]).toEqual({ pk: { device: 'kept', ...KEY }, data: { humidity: 84.84, temperature: 3 }, aux: {} });
  });

  // The state lookups spell keys as literals: a `?` or a quote in one is text, not a parameter.
  it("projects and updates items whose keys hold '?', quotes and '$1'", async () => {
    const devices = ['?', "it's ?", 'say "?"', '$1'];
    for (const device of devices) {
      await deliver(h, [reading('INSERT', device, 1_000, 1, 'marks')]);
      await deliver(h, [reading('MODIFY', device, 2_000, 2, 'marks')]);
    }
    const rows = await codecRows(h, 'marks');
    expect(rows.map((r) => [r.pk.device, r.data.temperature])).toEqual(
      devices.map((d) => [d, 2]).sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0]))),
    );
  });

  it('converges when two writers race on one item: an insert against a newer delete, a modify against an older delete', async () => {
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 8; i++) {
      writes.push(deliver(h, [reading('INSERT', `race-${i}`, 1_000, i)]), deliver(h, [reading('REMOVE', `race-${i}`, 2_000)]));
      writes.push(deliver(h, [reading('MODIFY', `back-${i}`, 3_000, i)]), deliver(h, [reading('REMOVE', `back-${i}`, 2_000)]));
    }
    await Promise.all(writes);
    const rows = await codecRows(h, 'table_testdrive');
    expect(rows.filter((r) => String(r.pk.device).startsWith('race-'))).toEqual([]);
    expect(rows.filter((r) => String(r.pk.device).startsWith('back-')).map((r) => r.data.temperature)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('adopts a table commons-codec created, and keeps what commons-codec wrote there until its item changes', async () => {
    const table = `"${h.schema}"."adopted"`;
    // DynamoDBCDCTranslator.sql_ddl, as the tool emits it (its key schema: device, timestamp).
    await crateSql(
      h,
      `CREATE TABLE IF NOT EXISTS ${table} (pk OBJECT(STRICT) AS ("device" STRING PRIMARY KEY, "timestamp" STRING PRIMARY KEY), data OBJECT(DYNAMIC), aux OBJECT(IGNORED))`,
    );
    // Rows commons-codec wrote: its INSERT … ON CONFLICT DO NOTHING, with Python's floats.
    const insert = `INSERT INTO ${table} (pk, data, aux) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`;
    await crateSql(h, insert, [{ device: 'old', ...KEY }, { humidity: 1.5, temperature: 2.5 }, {}]);
    await crateSql(h, insert, [{ device: 'untouched', ...KEY }, { humidity: 7.5 }, { tags: [1.0, 'a'] }]);
    await deliver(h, [reading('MODIFY', 'old', 5_000, 6.5, 'adopted'), reading('INSERT', 'new', 5_000, 4.25, 'adopted')]);
    expect(await codecRows(h, 'adopted', 'pk, data, aux, version')).toEqual([
      { pk: { device: 'new', ...KEY }, data: { humidity: 84.84, temperature: 4.25 }, aux: {}, version: 5_000 },
      { pk: { device: 'old', ...KEY }, data: { humidity: 84.84, temperature: 6.5 }, aux: {}, version: 5_000 },
      { pk: { device: 'untouched', ...KEY }, data: { humidity: 7.5 }, aux: { tags: [1, 'a'] }, version: null },
    ]);
    await deliver(h, [reading('REMOVE', 'untouched', 6_000, undefined, 'adopted')]);
    expect((await codecRows(h, 'adopted')).map((r) => r.pk.device)).toEqual(['new', 'old']);
  });

  it('writes the user rows of new items by a plain insert; one there already (an adopted row) goes through the gated upsert', async () => {
    const table = `"${h.schema}"."adopted_insert"`;
    await crateSql(
      h,
      `CREATE TABLE IF NOT EXISTS ${table} (pk OBJECT(STRICT) AS ("device" STRING PRIMARY KEY, "timestamp" STRING PRIMARY KEY), data OBJECT(DYNAMIC), aux OBJECT(IGNORED))`,
    );
    await crateSql(h, `INSERT INTO ${table} (pk, data, aux) VALUES (?, ?, ?)`, [{ device: 'there', ...KEY }, { humidity: 1.5 }, {}]);
    const sent = h.requests!.length;
    await deliver(h, [reading('INSERT', 'there', 5_000, 6.5, 'adopted_insert'), reading('INSERT', 'fresh', 5_000, 4.25, 'adopted_insert')]);
    expect(await codecRows(h, 'adopted_insert', 'pk, data, aux, version')).toEqual([
      { pk: { device: 'fresh', ...KEY }, data: { humidity: 84.84, temperature: 4.25 }, aux: {}, version: 5_000 },
      { pk: { device: 'there', ...KEY }, data: { humidity: 84.84, temperature: 6.5 }, aux: {}, version: 5_000 },
    ]);
    const writes = h
      .requests!.slice(sent)
      .filter((r) => r.bulk && r.stmt.startsWith(`INSERT INTO ${table}`))
      .map((r) => [r.stmt.includes('ON CONFLICT') ? 'upsert' : 'insert', r.rows]);
    expect(writes).toEqual([
      ['insert', 2],
      ['upsert', 1],
    ]);
  });

  it('leaves alone a table of the name that is not a commons-codec table: the items go to the next name', async () => {
    await crateSql(h, `CREATE TABLE IF NOT EXISTS "${h.schema}"."foreign_one" ("id" TEXT PRIMARY KEY, "note" TEXT)`);
    await deliver(h, [reading('INSERT', 'x', 1_000, 1, 'foreign-one')]);
    expect(await h.query('SELECT * FROM "foreign_one"')).toEqual([]);
    const next = candidateNames('foreign-one')[1]!;
    expect((await codecRows(h, next)).map((r) => r.pk)).toEqual([{ device: 'x', ...KEY }]);
  });

  const post = async (records: unknown[]) => {
    const response = await h.app.request(recordsRequest(records));
    expect(response.status).toBe(200);
    return readJson(response);
  };

  it('keeps the change log, projects the stored item for a keys-only change, and counts outcomes', async () => {
    expect(await post([kinesisRecord({ table: 'codec-items', id: 'k', micros: 30_000, attributes: { full: { S: 'yes' } } })])).toMatchObject({ applied: 1 });
    const keysOnly = keysOnlyRecord('codec-items', 'k', 'keys-only-1');
    expect(await post([keysOnly])).toMatchObject({ applied: 1 });
    expect(await codecRows(h, 'codec_items', 'pk, data, aux, event_id')).toEqual([
      { pk: { id: 'k' }, data: { full: 'yes' }, aux: {}, event_id: 'keys-only-1' },
    ]);
    expect(await post([keysOnly])).toMatchObject({ duplicate: 1 });
    expect((await h.changeLog('codec_items', { id: 'k' })).map((c) => c.event_name)).toEqual(['INSERT', 'MODIFY']);
  });

  it('dead-letters an item whose key the table key column cannot hold, and writes its neighbours', async () => {
    const numbered = (n: string, micros: number) => ({
      ...kinesisRecord({ table: 'codec-numbered', id: 'x', micros }),
      dynamodb: { ApproximateCreationDateTime: micros, Keys: { n: { N: n } }, NewImage: { n: { N: n }, v: { S: n } } },
    });
    expect(await post([numbered('7', 1_000)])).toMatchObject({ applied: 1 });
    const answer = await post([numbered('1.5', 2_000), numbered('8', 2_000)]);
    expect(answer).toMatchObject({ applied: 1, deadLettered: 1 });
    expect(await codecRows(h, 'codec_numbered')).toEqual([
      { pk: { n: 7 }, data: { v: '7' }, aux: {} },
      { pk: { n: 8 }, data: { v: '8' }, aux: {} },
    ]);
    expect((await h.deadLetters()).filter((l) => /BIGINT key column/.test(l.error))).toHaveLength(1);
  });

  it('an attribute named outside the BMP, kept in aux: changed again and again, the row ends as its last change (CrateDB reads such a row by key only after a refresh)', async () => {
    // A list of lists has no CrateDB type: commons-codec's layout keeps it in aux, under its name.
    const astral = (micros: number, attributes: Record<string, unknown>) => kinesisRecord({ table: 'codec-astral', id: 'x', micros, attributes });
    const nested = (n: string) => ({ L: [{ NS: [n] }] });
    expect(await post([astral(1_000, { 𐀀: nested('10'), v: { S: 'one' } })])).toMatchObject({ applied: 1, deadLettered: 0 });
    expect(await post([astral(2_000, { 𐀀: nested('10'), v: { S: 'two' } })])).toMatchObject({ applied: 1, deadLettered: 0 });
    expect(await codecRows(h, 'codec_astral')).toEqual([{ pk: { id: 'x' }, data: { v: 'two' }, aux: { 𐀀: [[10]] } }]);
    expect(await post([astral(3_000, { 𐀀: nested('20'), v: { S: 'three' } })])).toMatchObject({ applied: 1, deadLettered: 0 });
    expect(await post([astral(4_000, { v: { S: 'four' } })])).toMatchObject({ applied: 1, deadLettered: 0 });
    expect(await codecRows(h, 'codec_astral')).toEqual([{ pk: { id: 'x' }, data: { v: 'four' }, aux: {} }]);
  });

  it('purges tombstones from the state table and prunes by version there, leaving the user table as it is', async () => {
    await post([
      kinesisRecord({ table: 'codec-purge', id: 'old', micros: 1_000 }),
      kinesisRecord({ table: 'codec-purge', id: 'old', eventName: 'REMOVE', micros: 2_000, eventId: 'old-rm' }),
      kinesisRecord({ table: 'codec-purge', id: 'live', micros: 1_000 }),
      kinesisRecord({ table: 'codec-purge', id: 'later', micros: 9_000 }),
    ]);
    expect(await h.sink.purgeTombstones(5_000)).toBeGreaterThanOrEqual(1);
    expect((await h.pks('codec_purge__cdc_state')).map((pk) => JSON.parse(pk).id)).toEqual(['later', 'live']);
    expect((await h.sink.liveRowsBelow('codec_purge', 'codec-purge', 5_000)).map((r) => JSON.parse(r.pk).id)).toEqual(['live']);
    expect((await codecRows(h, 'codec_purge')).map((r) => r.pk.id)).toEqual(['later', 'live']);
  });

  it('dead-letters the items of a table whose key attribute CrateDB cannot name a column (sort.key)', async () => {
    const dotted = {
      ...kinesisRecord({ table: 'codec-dotted', id: 'x', micros: 1_000 }),
      dynamodb: { ApproximateCreationDateTime: 1_000, Keys: { 'sort.key': { S: 'a' } }, NewImage: { 'sort.key': { S: 'a' } } },
    };
    expect(await post([dotted])).toMatchObject({ deadLettered: 1 });
    expect(await h.tableExists('codec_dotted')).toBe(false);
    expect((await h.deadLetters()).filter((l) => /"sort\.key" cannot be a CrateDB column name/.test(l.error))).toHaveLength(1);
  });

  it('creates the user table again when it was dropped while the service runs', async () => {
    await post([kinesisRecord({ table: 'codec-dropped', id: 'a', micros: 1_000 })]);
    await h.dropTable('codec_dropped');
    await post([kinesisRecord({ table: 'codec-dropped', id: 'b', micros: 2_000 })]);
    expect((await codecRows(h, 'codec_dropped')).map((r) => r.pk.id)).toEqual(['b']);
  });

  /** A writer that passed the gate with `row` before a newer change came, and projects only now. */
  const slowWriter = async (row: Omit<RowWrite, 'recordIndex' | 'ttl' | 'keysOnly' | 'sequence'>) => {
    const client = new CrateDbClient({ target: parseCrateDbUrl(h.config.sink.url!), connections: 1, timeoutMs: 30_000 });
    const slow = new CommonsCodecTables(
      client,
      { schema: h.schema, tableSettings: { shards: null, replicas: null }, maxRowsPerStatement: 100, maxBytesPerStatement: 1 << 20, maxDataColumns: 900 },
      {
        ensure: (_key, create) => create().then(() => undefined),
        createTable: (stmt) => client.execute(stmt).then(() => undefined),
        recreateOnMissing: (_key, _create, run) => run(),
      },
    );
    const table = row.sourceTable.replaceAll('-', '_');
    const write = { recordIndex: 0, ttl: false, keysOnly: false, sequence: null, ...row };
    const outcomes: RowOutcome[] = [{ outcome: 'applied' }];
    await slow.project({ table, columns: [], rows: [write], changes: [] }, outcomes, 'slow', []);
    await client.close();
    return outcomes[0];
  };

  it('a slow writer: an older insert projected after the newer delete is taken back by its re-read of the state', async () => {
    await post([kinesisRecord({ table: 'codec-slow', id: 's', micros: 1_000 }), kinesisRecord({ table: 'codec-slow', id: 'other', micros: 1_000 })]);
    await post([kinesisRecord({ table: 'codec-slow', id: 's', eventName: 'REMOVE', micros: 2_000 })]);
    const sent = h.requests!.length;
    const insert = {
      pk: '{"id":"s"}',
      data: '{"id":"s","late":true}',
      deleted: false,
      version: 1_000,
      eventId: 's-1000',
      eventName: 'INSERT',
      sourceTable: 'codec-slow',
    };
    expect(await slowWriter(insert)).toEqual({ outcome: 'applied' });
    // It did write the row, then removed it once the state showed the tombstone.
    const writes = h
      .requests!.slice(sent)
      .map((r) => /^(INSERT INTO|DELETE FROM) \S+"codec_slow"/.exec(r.stmt)?.[1])
      .filter(Boolean);
    expect(writes).toEqual(['INSERT INTO', 'DELETE FROM']);
    expect((await codecRows(h, 'codec_slow')).map((r) => r.pk.id)).toEqual(['other']);
  });

  it('a slow writer: an older version after a newer one leaves the newer in the table', async () => {
    await post([kinesisRecord({ table: 'codec-slow', id: 'v', micros: 5_000, attributes: { v: { N: '2' } } })]);
    const older = {
      pk: '{"id":"v"}',
      data: '{"id":"v","v":1}',
      deleted: false,
      version: 4_000,
      eventId: 'v-4000',
      eventName: 'MODIFY',
      sourceTable: 'codec-slow',
    };
    await slowWriter(older);
    expect((await codecRows(h, 'codec_slow', 'pk, data, version')).find((r) => r.pk.id === 'v')).toEqual({ pk: { id: 'v' }, data: { v: 2 }, version: 5_000 });
  });
});

describeTargets('the commons-codec layout with COLUMN_MAP on', crateDbTargets, { LAYOUT: 'commons-codec', COLUMN_MAP: 'examples/column-map.yaml' }, (h) => {
  it("the user table carries the map's typed columns beside pk, data and aux, under the same gate", async () => {
    await deliver(h, seedRecords());
    await deliver(h, [reading('MODIFY', 'qux', 1_000, 1)]);
    const rows = await h.query<Record<string, unknown>>('SELECT pk, device, reading_time, temperature, humidity FROM "table_testdrive"');
    expect(rows.map((r) => JSON.parse(stringify(r)!))).toEqual([
      { pk: { device: 'qux', ...KEY }, device: 'qux', reading_time: Date.parse('2024-07-12T01:17:42Z'), temperature: 42.42, humidity: 84.84 },
    ]);
  });
});
