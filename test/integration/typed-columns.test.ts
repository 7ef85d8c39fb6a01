import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLosslessNumber } from 'lossless-json';
import { expect, it } from 'vitest';
import { canonicalJson } from '../support/canonical-json.js';
import { jsonText } from '../support/cratedb-live.js';
import { scrape } from '../support/prometheus.js';
import { kinesisRecord, recordsRequest } from '../support/records.js';
import { firehoseBody, firehoseRequest } from '../support/firehose.js';
import { seedRecords } from '../support/fixtures.js';
import { crateDbTargets, createHarness, describeTargets, sinkTargets, type Harness } from '../support/sinks.js';

// README "Columns": COLUMN_MAP's typed columns, written under the same version gate as the rest of
// the row, on every sink: the embedded database, the PostgreSQL server, the CrateDB stand-in and a
// real CrateDB (CRATEDB_URL).

/** A read value as plain JSON: CrateDB's numbers arrive lossless, PostgreSQL's numeric as text. */
const plain = (value: unknown): unknown => (isLosslessNumber(value) ? Number(value.value) : value);

/** A timestamp column as `YYYY-MM-DDTHH:MM:SS.ffffff` UTC: CrateDB (and the stand-in) answer epoch milliseconds. */
const readingTime = (h: Harness) =>
  h.target.startsWith('cratedb') ? 'reading_time' : `to_char(reading_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS reading_time`;
const isoMicros = (value: unknown): string | null =>
  value === null ? null : typeof value === 'string' ? value : `${new Date(Number(String(value))).toISOString().slice(0, -1)}000`;

describeTargets('typed columns in', sinkTargets, { COLUMN_MAP: 'examples/column-map.yaml' }, (h) => {
  const columnsOf = async (table: string) => {
    const rows = await h.query<Record<string, unknown>>(`SELECT pk, device, ${readingTime(h)}, temperature, humidity, deleted FROM ${table} ORDER BY pk`);
    return rows.map(({ pk, reading_time, temperature, humidity, ...rest }) => ({
      key: (JSON.parse(String(pk)) as { device: string }).device,
      ...rest,
      reading_time: isoMicros(reading_time),
      temperature: plain(temperature),
      humidity: plain(humidity),
    }));
  };

  it("the seed delivery gives examples/column-map.yaml's columns: device, reading_time (UTC), temperature, humidity", async () => {
    const response = await h.app.request(firehoseRequest(firehoseBody(seedRecords())));
    expect(response.status).toBe(200);
    expect(await columnsOf('table_testdrive')).toEqual([
      // The tombstone's columns come from its key.
      { key: 'foo', device: 'foo', reading_time: '2024-07-12T01:17:42.000000', temperature: null, humidity: null, deleted: true },
      { key: 'qux', device: 'qux', reading_time: '2024-07-12T01:17:42.000000', temperature: 42.42, humidity: 84.84, deleted: false },
    ]);
  });

  it('a value that does not convert leaves its column NULL, the row and its neighbours written, and is counted', async () => {
    const record = (device: string, micros: number, temperature: Record<string, unknown>) =>
      kinesisRecord({ table: 'table-testdrive', id: device, micros, attributes: { device: { S: device }, timestamp: { S: 'not a time' }, temperature } });
    // kinesisRecord keys the item by `id`: the map's device and timestamp come from attributes.
    const response = await h.app.request(recordsRequest([record('warm', 10, { S: 'warm' }), record('cold', 10, { N: '-3.5' })]));
    expect(response.status, await response.clone().text()).toBe(200);
    const rows = await h.query<Record<string, unknown>>(
      `SELECT device, reading_time, temperature FROM table_testdrive WHERE device IN ('warm', 'cold') ORDER BY device`,
    );
    expect(rows.map((r) => ({ ...r, temperature: plain(r.temperature) }))).toEqual([
      { device: 'cold', reading_time: null, temperature: -3.5 },
      { device: 'warm', reading_time: null, temperature: null },
    ]);
    const metrics = await scrape(h.app);
    expect(metrics.value('cdc_values_diverted_total', { table: 'table_testdrive', reason: 'column_type' })).toBe(3);
  });

  it('an older change leaves the columns alone, like the rest of the row', async () => {
    const record = (micros: number, temperature: string) =>
      kinesisRecord({ table: 'table-testdrive', id: 'gated', micros, attributes: { device: { S: 'gated' }, temperature: { N: temperature } } });
    await h.app.request(recordsRequest([record(2_000, '20')]));
    await h.app.request(recordsRequest([record(1_000, '10')]));
    const rows = await h.query<Record<string, unknown>>(`SELECT temperature FROM table_testdrive WHERE device = 'gated'`);
    expect(rows.map((r) => plain(r.temperature))).toEqual([20]);
  });
  it('a keys-only change keeps the columns, as it keeps the item', async () => {
    const full = kinesisRecord({ table: 'table-testdrive', id: 'keys', micros: 30_000, attributes: { device: { S: 'keys' }, temperature: { N: '21.5' } } });
    expect((await h.app.request(recordsRequest([full]))).status).toBe(200);
    const keysOnly = {
      eventID: 'keys-only-typed',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      eventSourceARN: 'arn:aws:dynamodb:us-east-1:111122223333:table/table-testdrive/stream/2024-01-01T00:00:00.000',
      // A Streams timestamp of 1 s is 1,000,000 µs: newer than the insert.
      dynamodb: { ApproximateCreationDateTime: 1, Keys: { id: { S: 'keys' } }, SequenceNumber: '100', StreamViewType: 'KEYS_ONLY' },
    };
    const response = await h.app.request(recordsRequest([keysOnly]));
    expect(await response.json()).toMatchObject({ applied: 1 });
    const rows = await h.query<Record<string, unknown>>(`SELECT device, temperature, keys_only FROM table_testdrive WHERE device = 'keys'`);
    expect(rows.map((r) => ({ ...r, temperature: plain(r.temperature) }))).toEqual([{ device: 'keys', temperature: 21.5, keys_only: true }]);
  });
});

// A column new in the map is added to the table an earlier process created (CrateDB: read from
// information_schema.columns, since ALTER TABLE has no ADD COLUMN IF NOT EXISTS there).
const widerMap = join(mkdtempSync(join(tmpdir(), 'column-map-')), 'wider.yaml');
writeFileSync(
  widerMap,
  `table_testdrive:
  device: { path: device, type: text }
  reading_time: { path: timestamp, type: timestamp, from: iso8601 }
  temperature: { path: temperature, type: double }
  humidity: { path: humidity, type: double }
  humidity_exact: { path: humidity, type: numeric }
`,
);

describeTargets('a column added to the map, added to an existing table in', crateDbTargets, { COLUMN_MAP: 'examples/column-map.yaml' }, (h) => {
  it('the next process adds it and writes it; rows written before keep NULL there', async () => {
    expect((await h.app.request(firehoseRequest(firehoseBody(seedRecords())))).status).toBe(200);
    // Another process with the wider map, on the same database and schema.
    const later = await createHarness(
      h.target,
      h.standIn ? { SINK_URL: `${h.standIn.url}/?schema=doc`, COLUMN_MAP: widerMap } : { TARGET_SCHEMA: h.schema, COLUMN_MAP: widerMap },
    );
    try {
      const record = kinesisRecord({ table: 'table-testdrive', id: 'later', micros: 10, attributes: { device: { S: 'later' }, humidity: { N: '84.125' } } });
      const response = await later.app.request(recordsRequest([record]));
      expect(response.status, await response.clone().text()).toBe(200);
      const rows = await h.query<Record<string, unknown>>(
        `SELECT device, humidity_exact::text AS humidity_exact FROM table_testdrive WHERE device IN ('qux', 'later') ORDER BY device`,
      );
      expect(rows).toEqual([
        { device: 'later', humidity_exact: '84.1250000000' },
        { device: 'qux', humidity_exact: null },
      ]);
    } finally {
      await later.close();
    }
  });
});

// README "Columns", CrateDB: what CrateDB's types cannot hold exactly is NULL and counted, never
// rounded, never refusing the row or its neighbours.
const limitsMap = join(mkdtempSync(join(tmpdir(), 'column-map-')), 'limits.yaml');
writeFileSync(
  limitsMap,
  `table_limits:
  amount: { path: amount, type: numeric }
  note: { path: note, type: text }
  tally: { path: tally, type: bigint }
  seen_at: { path: seen, type: timestamp, from: epoch_micros }
  extra: { path: extra, type: json }
  shape: { path: shape, type: object }
`,
);

describeTargets('typed columns at their CrateDB limits in', crateDbTargets, { COLUMN_MAP: limitsMap }, (h) => {
  const longText = 'x'.repeat(32_767);
  const record = (id: string, attributes: Record<string, unknown>) => kinesisRecord({ table: 'table-limits', id, micros: 1_000, attributes });

  it('numeric beyond scale 10 or 28 integer digits, text over 32,766 bytes, bigint at either 64-bit end: NULL and counted; the rest exact', async () => {
    const response = await h.app.request(
      recordsRequest([
        record('fits', {
          amount: { N: '1234567890123456789012345678.0123456789' },
          note: { S: 'é'.repeat(16_383) },
          tally: { N: '9223372036854775806' },
          seen: { N: '1720747062123456' },
          extra: { L: [{ N: '1' }, { S: longText }] },
          shape: { M: { x: { S: 'y' }, n: { N: '1.5' } } },
        }),
        record('beyond', { amount: { N: '0.123456789012' }, note: { S: longText }, tally: { N: '9223372036854775807' } }),
        record('below', { amount: { N: '-12345678901234567890123456789' }, tally: { N: '-9223372036854775808' }, note: { S: 'ok' } }),
      ]),
    );
    expect(response.status, await response.clone().text()).toBe(200);
    expect(await response.clone().json()).toMatchObject({ applied: 3, deadLettered: 0 });
    // As text: every digit, whatever the database answers numbers with.
    const rows = await h.query<Record<string, unknown>>(
      'SELECT pk, amount::text AS amount, note, tally::text AS tally, seen_at, extra, shape, item FROM table_limits ORDER BY pk',
    );
    const read = rows.map((r) => ({
      id: (JSON.parse(String(r.pk)) as { id: string }).id,
      amount: r.amount,
      note: typeof r.note === 'string' && r.note.length > 20 ? `${r.note.slice(0, 1)}×${r.note.length}` : r.note,
      tally: r.tally,
      seen_at: r.seen_at === null ? null : Number(String(r.seen_at)),
      extra: r.extra,
      shape: r.shape === null ? null : canonicalJson(typeof r.shape === 'string' ? r.shape : jsonText(r.shape)),
      item: canonicalJson(String(r.item)),
    }));
    expect(read).toEqual([
      {
        id: 'below',
        amount: null,
        note: 'ok',
        tally: null,
        seen_at: null,
        extra: null,
        shape: null,
        item: canonicalJson('{"id":"below","amount":-12345678901234567890123456789,"tally":-9223372036854775808,"note":"ok"}'),
      },
      {
        id: 'beyond',
        amount: null,
        note: null,
        tally: null,
        seen_at: null,
        extra: null,
        shape: null,
        item: canonicalJson(`{"id":"beyond","amount":0.123456789012,"note":"${longText}","tally":9223372036854775807}`),
      },
      {
        id: 'fits',
        amount: '1234567890123456789012345678.0123456789',
        note: `é×16383`,
        tally: '9223372036854775806',
        // CrateDB keeps milliseconds.
        seen_at: 1_720_747_062_123,
        extra: `[1,"${longText}"]`,
        shape: '{"n":1.5,"x":"y"}',
        item: expect.any(String),
      },
    ]);
    const metrics = await scrape(h.app);
    expect(metrics.value('cdc_values_diverted_total', { table: 'table_limits', reason: 'column_type' })).toBe(5);
  });

  it('an object column holding a name outside the BMP: changed again and again, the row ends as its last change (CrateDB reads it by key only after a refresh)', async () => {
    for (const [micros, n] of [
      [2_000, '1'],
      [3_000, '2'],
      [4_000, '3'],
    ] as const) {
      const response = await h.app.request(
        recordsRequest([kinesisRecord({ table: 'table-limits', id: 'astral', micros, attributes: { shape: { M: { 𐀀: { N: n } } } } })]),
      );
      expect(await response.clone().json(), `write ${n}`).toMatchObject({ applied: 1, deadLettered: 0 });
    }
    const [row] = await h.query<Record<string, unknown>>(`SELECT shape, item FROM table_limits WHERE pk = '{"id":"astral"}'`);
    expect(canonicalJson(typeof row!.shape === 'string' ? row!.shape : jsonText(row!.shape))).toBe(canonicalJson('{"𐀀":3}'));
    expect(canonicalJson(String(row!.item))).toBe(canonicalJson('{"id":"astral","shape":{"𐀀":3}}'));
  });
});
