import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusBody } from '../../src/http/status-route.js';
import { METRIC_DEFINITIONS } from '../../src/metrics/metric-definitions.js';
import { seedRecords } from '../support/fixtures.js';
import { encodeRecord, firehoseBody, firehoseRequest } from '../support/firehose.js';
import { scrape } from '../support/prometheus.js';
import { kinesisRecord, recordsRequest } from '../support/records.js';
import { createHarness, type Harness } from '../support/sinks.js';

const TABLE = 'table_testdrive';
// The seed records' change times (ApproximateCreationDateTime, microseconds).
const [INSERT_AT, , REMOVE_AT] = seedRecords().map((r) => r.dynamodb.ApproximateCreationDateTime as number);

describe('GET /metrics after real deliveries on PGlite', () => {
  let h: Harness;
  let before: number;
  let after: number;
  const seed = firehoseBody(seedRecords());
  const seedText = JSON.stringify(seed);
  const seedGzip = gzipSync(Buffer.from(seedText));
  const ttlAt = (Date.now() - 3000) * 1000;

  beforeAll(async () => {
    h = await createHarness('pglite');
    before = Date.now();
    // The seed: INSERT qux applied, REMOVE foo applied, the MODIFY of foo superseded (stale).
    expect((await h.app.request(firehoseRequest(seed))).status).toBe(200);
    // Redelivered gzip: INSERT and REMOVE duplicate, MODIFY stale again.
    const gz = firehoseRequest(seed, { gzip: true });
    expect((await h.app.request(gz)).status).toBe(200);
    expect((await h.app.request(firehoseRequest(seed, { accessKey: 'wrong' }))).status).toBe(401);
    // A table of its own: an INSERT 3 s ago, then its TTL delete 2 s ago.
    const insert = kinesisRecord({ table: 'metrics-ttl', id: 'a', micros: ttlAt });
    const ttlRemove = kinesisRecord({ table: 'metrics-ttl', id: 'a', micros: ttlAt + 1_000_000, eventName: 'REMOVE', ttl: true });
    expect((await h.app.request(recordsRequest([insert]))).status).toBe(200);
    expect((await h.app.request(recordsRequest([ttlRemove]))).status).toBe(200);
    // Not a CDC record: dead-lettered, with no table.
    const poison = firehoseBody([encodeRecord(`hello ${randomUUID()}`)]);
    expect((await h.app.request(firehoseRequest(poison))).status).toBe(200);
    after = Date.now();
  });
  afterAll(async () => h?.close());

  it('counts every record by target table, operation and outcome', async () => {
    const m = await scrape(h.app);
    const records = (table: string, operation: string, outcome: string) => m.value('cdc_records_total', { table, operation, outcome });
    expect(records(TABLE, 'insert', 'applied')).toBe(1);
    expect(records(TABLE, 'remove', 'applied')).toBe(1);
    expect(records(TABLE, 'modify', 'stale')).toBe(2);
    expect(records(TABLE, 'insert', 'duplicate')).toBe(1);
    expect(records(TABLE, 'remove', 'duplicate')).toBe(1);
    expect(records('metrics_ttl', 'insert', 'applied')).toBe(1);
    expect(records('metrics_ttl', 'ttl_remove', 'applied')).toBe(1);
    expect(records('', '', 'dead_lettered')).toBe(1);
    expect(m.sum('cdc_records_total', { outcome: 'applied' })).toBe(4);
    // Every record counted exactly once: 3 + 3 + 1 + 1 + 1.
    expect(m.sum('cdc_records_total')).toBe(9);
    expect(m.types.get('cdc_records_total')).toBe('counter');
  });

  it('counts deliveries by endpoint and status, with their sizes and durations', async () => {
    const m = await scrape(h.app);
    expect(m.value('cdc_deliveries_total', { endpoint: 'firehose', status: '200' })).toBe(3);
    expect(m.value('cdc_deliveries_total', { endpoint: 'firehose', status: '401' })).toBe(1);
    expect(m.value('cdc_deliveries_total', { endpoint: 'records', status: '200' })).toBe(2);
    // Sizes only of bodies read (not the refused one): as received, so the gzip one compressed.
    const poisonBytes = m.value('cdc_delivery_size_bytes_sum', { endpoint: 'firehose' })! - seedText.length - seedGzip.length;
    expect(m.value('cdc_delivery_size_bytes_count', { endpoint: 'firehose' })).toBe(3);
    expect(poisonBytes).toBeGreaterThan(50);
    expect(poisonBytes).toBeLessThan(300);
    expect(m.value('cdc_delivery_records_sum', { endpoint: 'firehose' })).toBe(7);
    expect(m.value('cdc_delivery_records_bucket', { endpoint: 'firehose', le: '1' })).toBe(1);
    expect(m.value('cdc_delivery_records_sum', { endpoint: 'records' })).toBe(2);
    expect(m.value('cdc_delivery_duration_seconds_count', { endpoint: 'firehose' })).toBe(4);
    const durations = m.value('cdc_delivery_duration_seconds_sum', { endpoint: 'firehose' })!;
    expect(durations).toBeGreaterThan(0);
    expect(durations).toBeLessThanOrEqual((after - before) / 1000);
    expect(m.value('cdc_deliveries_in_flight')).toBe(0);
    // One write per delivery that got as far as the database, none failed.
    expect(m.value('cdc_sink_write_duration_seconds_count')).toBe(5);
    expect(m.value('cdc_sink_errors_total', { kind: 'retryable' })).toBe(0);
    expect(m.value('cdc_sink_errors_total', { kind: 'permanent' })).toBe(0);
  });

  it('measures replication lag of each applied change and the newest change time per table', async () => {
    const m = await scrape(h.app);
    expect(m.types.get('cdc_replication_lag_seconds')).toBe('histogram');
    // The seed changes are from July 2024: two applied, lagging (now − change time).
    expect(m.value('cdc_replication_lag_seconds_count', { table: TABLE })).toBe(2);
    const lagSum = m.value('cdc_replication_lag_seconds_sum', { table: TABLE })!;
    const expected = (at: number) => [(before - at / 1000) / 1000, (after - at / 1000) / 1000];
    const [low1, high1] = expected(INSERT_AT!);
    const [low2, high2] = expected(REMOVE_AT!);
    expect(lagSum).toBeGreaterThanOrEqual(low1! + low2! - 0.01);
    expect(lagSum).toBeLessThanOrEqual(high1! + high2! + 0.01);
    // A redelivery is not lag: nothing duplicate or stale was observed.
    expect(m.value('cdc_replication_lag_seconds_bucket', { table: TABLE, le: '86400' })).toBe(0);
    // The TTL table's changes are 3 s and 2 s old when sent: over a second when applied, and well
    // under five minutes even on a loaded machine (30 s was once not enough under load).
    expect(m.value('cdc_replication_lag_seconds_count', { table: 'metrics_ttl' })).toBe(2);
    expect(m.value('cdc_replication_lag_seconds_bucket', { table: 'metrics_ttl', le: '1' })).toBe(0);
    expect(m.value('cdc_replication_lag_seconds_bucket', { table: 'metrics_ttl', le: '300' })).toBe(2);
    expect(m.value('cdc_newest_applied_change_timestamp_seconds', { table: TABLE })).toBeCloseTo(REMOVE_AT! / 1e6, 5);
    expect(m.value('cdc_newest_applied_change_timestamp_seconds', { table: 'metrics_ttl' })).toBeCloseTo(ttlAt / 1e6 + 1, 5);
  });

  it('exports every defined metric, and Node process metrics', async () => {
    const m = await scrape(h.app);
    for (const definition of Object.values(METRIC_DEFINITIONS)) expect(m.types.get(definition.name), definition.name).toBe(definition.kind);
    expect(m.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(m.sum('nodejs_heap_size_total_bytes')).toBeGreaterThan(0);
  });

  it('tells the same counts in GET /status, with the newest change time', async () => {
    const status = (await (await h.app.request('/status')).json()) as StatusBody;
    expect(status.state).toBe('RUNNING');
    expect(status.sink).toEqual({ kind: 'pglite', reachable: true });
    expect(status.deliveries).toEqual({ inFlight: 0, maxInFlight: 4 });
    expect(status.tables[TABLE]).toEqual({
      applied: 2,
      stale: 2,
      duplicate: 2,
      deadLettered: 0,
      diverted: 0,
      newestChangeAt: new Date(Math.floor(REMOVE_AT! / 1000)).toISOString(),
    });
    expect(status.records).toEqual({ applied: 4, stale: 2, duplicate: 2, deadLettered: 1, diverted: 0 });
    expect(status.lastError).toMatchObject({ endpoint: 'firehose', requestId: seed.requestId, status: 401, message: 'access key invalid' });
    expect(Date.parse(status.lastError!.at)).toBeGreaterThanOrEqual(before);
  });
});
