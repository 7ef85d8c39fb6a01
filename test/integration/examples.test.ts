import { readdirSync, readFileSync } from 'node:fs';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLambdaHandler } from '../../src/lambda/lambda-handler.js';
import { TargetTables } from '../../src/pipeline/target-tables.js';
import { postgresTarget, type Target } from '../../src/sink/create-sink.js';
import { pgliteExecutor } from '../../src/sink/pglite/pglite-executor.js';
import type { SqlExecutor } from '../../src/sink/postgres/sql-executor.js';
import { tableNaming } from '../../src/translate/target-name.js';
import { readJson } from '../support/read-json.js';

// Every file in examples/ goes through its way in here, as README shows it, so that none goes stale.
const examples = new URL('../../examples/', import.meta.url).pathname;
const example = (name: string) => readFileSync(`${examples}${name}`);
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const KEY = 'dev-secret';

describe('examples/', () => {
  let target: Target;
  // The embedded database the sink writes with, read by the test through the same executor.
  let db: SqlExecutor;
  let app: ReturnType<typeof createApp>;
  const rows = async (table: string) =>
    (await db.query<{ pk: string; deleted: boolean }>(`SELECT pk, deleted FROM ${table} ORDER BY pk`)).map((r) => [r.pk, r.deleted]);
  const seedRows = [
    ['{"device":"foo","timestamp":"2024-07-12T01:17:42"}', true],
    ['{"device":"qux","timestamp":"2024-07-12T01:17:42"}', false],
  ];

  beforeEach(async () => {
    const loaded = loadConfig({ ACCESS_KEY: KEY, PGLITE_DIR: 'memory://', LOG_LEVEL: 'silent' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    db = await pgliteExecutor(loaded.config.sink.pgliteDir);
    target = postgresTarget(db, loaded.config.sink, 'pglite');
    app = createApp({ config: loaded.config, sink: target.sink, log: pino({ level: 'silent' }) });
  });
  afterEach(() => target.sink.close());

  const firehose = (body: Buffer, gzip: boolean) =>
    app.request('/firehose', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-amz-firehose-access-key': KEY,
        'x-amz-firehose-request-id': 'ed4acda5-034f-9f42-bba1-f29aea6d7d8f',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      },
      body,
    });

  it('seed-delivery.json: a Firehose delivery', async () => {
    expect((await firehose(example('seed-delivery.json'), false)).status).toBe(200);
    expect(await rows('table_testdrive')).toEqual(seedRows);
  });

  it('seed-delivery.json.gz: the same delivery gzip-compressed, as Firehose sends it with GZIP on', async () => {
    expect((await firehose(example('seed-delivery.json.gz'), true)).status).toBe(200);
    expect(await rows('table_testdrive')).toEqual(seedRows);
  });

  it('seed-records.ndjson: the same records by hand to /records', async () => {
    const response = await app.request('/records', {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
      body: example('seed-records.ndjson'),
    });
    expect(await readJson(response)).toMatchObject({ received: 3, applied: 2, stale: 1, deadLettered: 0 });
    expect(await rows('table_testdrive')).toEqual(seedRows);
  });

  const lambda = () =>
    createLambdaHandler({
      sink: target.sink,
      log: pino({ level: 'silent' }),
      targets: new TargetTables(tableNaming(new Map(), 'cdc_dead_letters'), target.sink),
      changeLog: false,
      futureChangeMarginSeconds: 24 * 3600,
    });

  it('lambda-kinesis-event.json: a Kinesis event source mapping batch', async () => {
    expect(await lambda()(JSON.parse(example('lambda-kinesis-event.json').toString()), { awsRequestId: 'example' })).toEqual({ batchItemFailures: [] });
    expect(await rows('table_testdrive')).toEqual(seedRows);
  });

  it('lambda-dynamodb-streams-event.json: a DynamoDB Streams event (AWS documentation)', async () => {
    expect(await lambda()(JSON.parse(example('lambda-dynamodb-streams-event.json').toString()), { awsRequestId: 'example' })).toEqual({
      batchItemFailures: [],
    });
    expect(await rows('testtable')).toEqual([['{"Id":101}', false]]); // an INSERT, then a MODIFY
  });

  it('are all used here (or by the consumer walkthrough, or the typed-columns suite) and named in README', () => {
    // column-map.yaml: test/integration/typed-columns.test.ts sends the seed delivery through it.
    const covered = new Set([
      'seed-delivery.json',
      'seed-delivery.json.gz',
      'seed-records.ndjson',
      'lambda-kinesis-event.json',
      'lambda-dynamodb-streams-event.json',
      'local-table.mjs',
      'column-map.yaml',
    ]);
    expect(readdirSync(examples).sort()).toEqual([...covered].sort());
    for (const name of covered) expect(readme, name).toContain(`examples/${name}`);
  });
});
