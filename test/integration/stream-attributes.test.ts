import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { postgresTarget, type Target } from '../../src/sink/create-sink.js';
import { pgliteExecutor } from '../../src/sink/pglite/pglite-executor.js';
import type { SqlExecutor } from '../../src/sink/postgres/sql-executor.js';
import { firehoseBody, firehoseRequest } from '../support/firehose.js';
import { readJson } from '../support/read-json.js';
import { kinesisRecord } from '../support/records.js';

// One service, several Firehose delivery streams: each names its schema and table map in the
// common attributes header, and its dead letters and log lines name the stream.
describe('delivery streams with their own TARGET_SCHEMA and TABLE_MAP', () => {
  let target: Target;
  // The embedded database the sink writes with, read by the test through the same executor.
  let db: SqlExecutor;
  let app: ReturnType<typeof createApp>;
  const lines: Record<string, unknown>[] = [];
  const query = (sql: string) => db.query<Record<string, unknown>>(sql);

  beforeAll(async () => {
    const loaded = loadConfig({ ACCESS_KEY: 'test-key-1', PGLITE_DIR: 'memory://' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    db = await pgliteExecutor(loaded.config.sink.pgliteDir);
    target = postgresTarget(db, loaded.config.sink, 'pglite');
    app = createApp({ config: loaded.config, sink: target.sink, sinkFor: target.sinkFor, log });
  });
  afterAll(() => target.sink.close());

  const post = (records: unknown[], headers: Record<string, string>) => {
    const request = firehoseRequest(firehoseBody(records));
    for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
    return app.request(request);
  };
  const attributes = (a: Record<string, string>) => JSON.stringify({ commonAttributes: a });
  const arn = (name: string) => `arn:aws:firehose:eu-west-1:123456789012:deliverystream/${name}`;

  it('writes each stream into its schema and table map; without the header, as configured', async () => {
    const record = (id: string) => kinesisRecord({ table: 'orders', id, micros: 1_720_740_233_000_000 });
    expect(
      (await post([record('a')], { 'x-amz-firehose-common-attributes': attributes({ TARGET_SCHEMA: 'eu' }), 'x-amz-firehose-source-arn': arn('eu') })).status,
    ).toBe(200);
    expect((await post([record('b')], { 'x-amz-firehose-common-attributes': attributes({ TARGET_SCHEMA: 'us', TABLE_MAP: 'orders=us_orders' }) })).status).toBe(
      200,
    );
    expect((await post([record('c')], {})).status).toBe(200);
    expect((await query('SELECT pk FROM eu.orders')).map((r) => r.pk)).toEqual(['{"id":"a"}']);
    expect((await query('SELECT pk FROM us.us_orders')).map((r) => r.pk)).toEqual(['{"id":"b"}']);
    expect((await query('SELECT pk FROM public.orders')).map((r) => r.pk)).toEqual(['{"id":"c"}']);
    expect(lines.find((l) => l.msg === 'delivery applied' && l.sourceArn === arn('eu'))).toBeDefined();
  });

  it('answers 400 naming the attribute for a bad value, writing nothing', async () => {
    const response = await post([kinesisRecord({ table: 'orders', id: 'x', micros: 1_720_740_233_000_000 })], {
      'x-amz-firehose-common-attributes': attributes({ TARGET_SCHEMA: 'Bad Schema' }),
      'x-amz-firehose-source-arn': arn('bad'),
    });
    expect(response.status).toBe(400);
    expect(((await readJson(response)) as { errorMessage: string }).errorMessage).toMatch(
      /^X-Amz-Firehose-Common-Attributes: TARGET_SCHEMA "Bad Schema": lower-case letters/,
    );
    expect(lines.find((l) => l.msg === 'delivery refused' && l.sourceArn === arn('bad'))).toBeDefined();
  });

  it("records the stream's ARN in its dead letters", async () => {
    expect((await post([Buffer.from('not json').toString('base64')], { 'x-amz-firehose-source-arn': arn('poison') })).status).toBe(200);
    const letters = await query('SELECT source FROM public.cdc_dead_letters');
    expect(letters.map((l) => l.source)).toContain(`firehose ${arn('poison')}`);
  });
});
