import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixture } from '../support/fixtures.js';
import { kinesisEvent } from '../support/lambda-events.js';
import { postgresUrl } from '../support/sinks.js';

// src/lambda.ts as Lambda loads it: configured by the service's environment variables, the sink
// built on the first invocation.
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

async function freshHandler(env: Record<string, string | undefined>) {
  vi.resetModules();
  process.env = { ...saved, SINK_URL: undefined, PGLITE_DIR: 'memory://', LOG_LEVEL: 'silent', ...env };
  return (await import('../../src/lambda.js')).handler;
}

describe('the Lambda entry point', () => {
  it('reports a bad configuration on invocation, and starts once it is fixed', async () => {
    const handler = await freshHandler({ SINK_URL: 'mysql://db', TARGET_SCHEMA: 'Bad-Schema' });
    await expect(handler(fixture('streams/lambda-event.json'))).rejects.toThrow(/^invalid configuration: SINK_URL: .*; TARGET_SCHEMA: /);
    delete process.env.SINK_URL;
    delete process.env.TARGET_SCHEMA;
    expect(await handler(fixture('streams/lambda-event.json'))).toEqual({ batchItemFailures: [] });
    expect(await handler(kinesisEvent([fixture('kinesis/seed-insert.json')]))).toEqual({ batchItemFailures: [] });
  });

  it.skipIf(!postgresUrl)('writes to the database SINK_URL names (postgres)', async () => {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const handler = await freshHandler({ SINK_URL: postgresUrl, TARGET_SCHEMA: schema });
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      expect(await handler(kinesisEvent([fixture('kinesis/seed-insert.json'), fixture('kinesis/seed-modify.json')]))).toEqual({ batchItemFailures: [] });
      const { rows } = await client.query(`SELECT pk, deleted FROM "${schema}".table_testdrive ORDER BY pk`);
      expect(rows).toEqual([
        { pk: '{"device":"foo","timestamp":"2024-07-12T01:17:42"}', deleted: false },
        { pk: '{"device":"qux","timestamp":"2024-07-12T01:17:42"}', deleted: false },
      ]);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});
