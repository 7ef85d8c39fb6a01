import { expect, it } from 'vitest';
import { scrape } from '../support/prometheus.js';
import { kinesisRecord, recordsRequest } from '../support/records.js';
import { firehoseBody, firehoseRequest } from '../support/firehose.js';
import { seedRecords } from '../support/fixtures.js';
import { describeTargets, sinkTargets } from '../support/sinks.js';

// README "Columns": COLUMN_MAP's typed columns, written under the same version gate as the rest of
// the row, on the PostgreSQL sinks (the embedded database and the server).
const postgresTargets = sinkTargets.filter((t) => t.name === 'pglite' || t.name === 'postgres');

describeTargets('typed columns in', postgresTargets, { COLUMN_MAP: 'examples/column-map.yaml' }, (h) => {
  const columnsOf = async (table: string) =>
    h.query(
      `SELECT data->>'device' AS key, device, to_char(reading_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS reading_time, temperature, humidity, deleted
       FROM ${table} ORDER BY key`,
    );

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
    const rows = await h.query(`SELECT device, reading_time, temperature FROM table_testdrive WHERE device IN ('warm', 'cold') ORDER BY device`);
    expect(rows).toEqual([
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
    expect(await h.query(`SELECT temperature FROM table_testdrive WHERE device = 'gated'`)).toEqual([{ temperature: 20 }]);
  });
});
