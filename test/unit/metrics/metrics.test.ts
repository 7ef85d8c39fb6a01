import { describe, expect, it } from 'vitest';
import type { StatusBody } from '../../../src/http/status-route.js';
import { SinkError } from '../../../src/sink/sink.js';
import { appWith } from '../../support/app-with.js';
import { seedRecords } from '../../support/fixtures.js';
import { firehoseBody, firehoseRequest } from '../../support/firehose.js';
import { scrape } from '../../support/prometheus.js';
import { recordsRequest } from '../../support/records.js';
import { downSink, stubSink } from '../../support/stub-sink.js';

const TABLE = 'table_testdrive';

describe('GET /metrics: database failures and diverted values', () => {
  it('counts failed writes by kind, and the 503 and 500 answers', async () => {
    const retryable = appWith(downSink());
    const permanent = appWith(downSink(new SinkError('stub: permission denied', false)));
    expect((await retryable.app.request(firehoseRequest(firehoseBody(seedRecords())))).status).toBe(503);
    expect((await retryable.app.request(recordsRequest(seedRecords()))).status).toBe(503);
    expect((await permanent.app.request(firehoseRequest(firehoseBody(seedRecords())))).status).toBe(500);
    const r = await scrape(retryable.app);
    expect(r.value('cdc_sink_errors_total', { kind: 'retryable' })).toBe(2);
    expect(r.value('cdc_sink_errors_total', { kind: 'permanent' })).toBe(0);
    expect(r.value('cdc_deliveries_total', { endpoint: 'firehose', status: '503' })).toBe(1);
    expect(r.value('cdc_deliveries_total', { endpoint: 'records', status: '503' })).toBe(1);
    expect(r.sum('cdc_records_total')).toBe(0);
    const p = await scrape(permanent.app);
    expect(p.value('cdc_sink_errors_total', { kind: 'permanent' })).toBe(1);
    expect(p.value('cdc_deliveries_total', { endpoint: 'firehose', status: '500' })).toBe(1);
    const status = (await (await retryable.app.request('/status')).json()) as StatusBody;
    expect(status.state).toBe('DEGRADED');
    expect(status.lastError).toMatchObject({ endpoint: 'records', status: 503, message: 'stub: connection refused' });
  });

  it('counts values a sink kept aside in cdc_values_diverted_total only: cdc_records_total adds up to the records', async () => {
    const sink = stubSink({
      write: async (batch) => ({
        ok: true,
        tables: batch.tables.map((t) => ({
          table: t.table,
          outcomes: t.rows.map(() => ({ outcome: 'applied' as const })),
          diverted: { invalid_key: 2, type_conflict: 1 },
        })),
      }),
    });
    const { app } = appWith(sink);
    const response = await app.request(recordsRequest(seedRecords()));
    expect(await response.json()).toMatchObject({ applied: 2, stale: 1, diverted: 3 });
    const m = await scrape(app);
    const records = m.samples.filter((x) => x.name === 'cdc_records_total');
    expect(records.every((x) => x.labels.outcome !== 'diverted')).toBe(true);
    expect(records.reduce((sum, x) => sum + x.value, 0)).toBe(seedRecords().length);
    expect((await (await app.request('/status')).json()) as StatusBody).toMatchObject({
      records: { applied: 2, stale: 1, diverted: 3 },
      tables: { [TABLE]: { diverted: 3 } },
    });
    expect(m.value('cdc_values_diverted_total', { table: TABLE, reason: 'invalid_key' })).toBe(2);
    expect(m.value('cdc_values_diverted_total', { table: TABLE, reason: 'type_conflict' })).toBe(1);
    expect(m.value('cdc_records_total', { table: TABLE, operation: 'insert', outcome: 'applied' })).toBe(1);
  });

  it('keeps a registry per app: counts of one app do not leak into another', async () => {
    const one = appWith(stubSink());
    const two = appWith(stubSink());
    await one.app.request(firehoseRequest(firehoseBody(seedRecords())));
    expect((await scrape(one.app)).value('cdc_deliveries_total', { endpoint: 'firehose', status: '200' })).toBe(1);
    expect((await scrape(two.app)).value('cdc_deliveries_total', { endpoint: 'firehose', status: '200' })).toBeUndefined();
  });
});
