import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { pgliteExecutor } from '../../src/sink/pglite/pglite-executor.js';
import { pgPoolExecutor } from '../../src/sink/postgres/pg-pool-executor.js';
import { PostgresSink } from '../../src/sink/postgres/postgres-sink.js';
import type { SqlExecutor } from '../../src/sink/postgres/sql-executor.js';
import { firehoseBody, firehoseRequest, ACCESS_KEY } from '../support/firehose.js';
import { readJson } from '../support/read-json.js';
import { longKey } from '../support/long-keys.js';
import { kinesisRecord } from '../support/records.js';
import { postgresUrl } from '../support/sinks.js';

/**
 * Rows PostgreSQL refuses, many at once, and keys as long as DynamoDB allows. The time a delivery
 * takes is bounded by counting the statements the sink sends (timed tests are forbidden here):
 * halving 10,000 refused rows sent 20,000 ever larger statements and took 100 s.
 */
const targets = [
  { name: 'pglite', skip: null },
  { name: 'postgres', skip: postgresUrl ? null : 'TEST_POSTGRES_URL is not set' },
] as const;

/** The embedded database or the server, behind an executor that counts the statements it runs. */
async function countingStand(target: 'pglite' | 'postgres') {
  const schema = target === 'postgres' ? `t_${randomBytes(6).toString('hex')}` : 'public';
  const inner: SqlExecutor =
    target === 'pglite'
      ? await pgliteExecutor('memory://')
      : pgPoolExecutor({
          connectionString: postgresUrl!,
          maxConnections: 4,
          connectTimeoutMs: 5_000,
          statementTimeoutMs: 60_000,
          onIdleError: () => undefined,
        });
  let statements = 0;
  const db: SqlExecutor = {
    query: (text, params) => {
      statements++;
      return inner.query(text, params);
    },
    close: async () => {
      if (target === 'postgres') await inner.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await inner.close();
    },
  };
  const loaded = loadConfig({ ACCESS_KEY, TARGET_SCHEMA: schema, LOG_LEVEL: 'silent' });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const newSink = () =>
    new PostgresSink(db, {
      kind: target,
      schema,
      deadLetterTable: 'cdc_dead_letters',
      changeLog: false,
      maxRowsPerStatement: 10_000,
      maxBytesPerStatement: 4 * 1024 * 1024,
    });
  const sink = newSink();
  const app = createApp({ config: loaded.config, sink, log: pino({ level: 'silent' }) });
  await inner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  // The test's own queries, in the schema: on the server over a connection of their own.
  const client = target === 'postgres' ? new pg.Client({ connectionString: postgresUrl }) : undefined;
  await client?.connect();
  await client?.query(`SET search_path TO "${schema}"`);
  const query = async <T>(text: string, params?: unknown[]) => (client ? (await client.query(text, params)).rows : await inner.query(text, params)) as T[];
  return {
    app,
    schema,
    query,
    /** Statements the sink ran while `run` ran. */
    async counting<T>(run: () => Promise<T>): Promise<{ result: T; statements: number }> {
      const before = statements;
      const result = await run();
      return { result, statements: statements - before };
    },
    close: async () => {
      await client?.end();
      await db.close();
    },
  };
}

const deliver = async (stand: Awaited<ReturnType<typeof countingStand>>, records: unknown[]) => {
  const response = await stand.app.request(firehoseRequest(firehoseBody(records)));
  return { status: response.status, body: await readJson(response) };
};

for (const target of targets) {
  describe.skipIf(target.skip !== null)(`refused rows and long keys: ${target.name}${target.skip ? ` (skipped: ${target.skip})` : ''}`, () => {
    let stand: Awaited<ReturnType<typeof countingStand>>;
    beforeAll(async () => {
      stand = await countingStand(target.name);
      // The tables exist before the counted deliveries.
      expect((await deliver(stand, [kinesisRecord({ table: 'refused', id: 'warm', micros: 1 }), 'bm90IGpzb24='])).status).toBe(200);
    });
    afterAll(async () => stand?.close());

    it('dead-letters 10,000 rows holding U+0000 or lone surrogates without sending them: a few statements, 200', async () => {
      const bad = ['a\u0000b', '\ud800', 'x\udc00y', 'ok\ud83d'];
      const records = Array.from({ length: 10_000 }, (_, i) =>
        kinesisRecord({ table: 'refused', id: `nul${i}`, micros: 10 + i, attributes: { s: { S: bad[i % bad.length] } } }),
      );
      records.push(kinesisRecord({ table: 'refused', id: 'beside', micros: 5 }));
      const { result, statements } = await stand.counting(() => deliver(stand, records));
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ requestId: expect.any(String), timestamp: expect.any(Number) });
      // The neighbour's upsert and the dead letters (split at 10,000 rows per statement).
      expect(statements).toBeLessThanOrEqual(4);
      const [letters] = await stand.query<{ n: number; nul: number; surrogate: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE error LIKE '%U+0000%')::int AS nul,
           count(*) FILTER (WHERE error LIKE '%lone surrogate%')::int AS surrogate
         FROM cdc_dead_letters WHERE payload LIKE '%"nul%'`,
      );
      expect(letters).toEqual({ n: 10_000, nul: 2_500, surrogate: 7_500 });
      expect(await stand.query(`SELECT pk FROM refused WHERE pk = '{"id":"beside"}'`)).toHaveLength(1);
    });

    it('isolates 10,000 rows refused for reasons it cannot predict in a bounded number of statements', async () => {
      await stand.query(`ALTER TABLE refused ADD CONSTRAINT no_poison CHECK (NOT data ? 'poison')`);
      try {
        const records = Array.from({ length: 10_000 }, (_, i) =>
          kinesisRecord({ table: 'refused', id: `p${i}`, micros: 100 + i, attributes: i % 1_000 === 0 ? {} : { poison: { BOOL: true } } }),
        );
        const { result, statements } = await stand.counting(() => deliver(stand, records));
        expect(result.status).toBe(200);
        // Halving alone: 2n − 1 = 19,999 statements, each level re-sending every row (100 s).
        expect(statements).toBeLessThanOrEqual(40);
        const [row] = await stand.query<{ applied: number; letters: number }>(
          `SELECT (SELECT count(*)::int FROM refused WHERE pk LIKE '{"id":"p%') AS applied,
             (SELECT count(*)::int FROM cdc_dead_letters WHERE payload LIKE '%"p%' AND error LIKE '%no_poison%') AS letters`,
        );
        expect(row).toEqual({ applied: 10, letters: 9_990 });
      } finally {
        await stand.query('ALTER TABLE refused DROP CONSTRAINT no_poison');
      }
    });

    it('stores keys as long as DynamoDB allows (2,048 + 1,024 bytes), in any script, and updates them in place', async () => {
      const partition = longKey(2_048, 1);
      const sort = longKey(1_024, 2);
      expect([Buffer.byteLength(partition), Buffer.byteLength(sort)]).toEqual([2_048, 1_024]);
      const keys = { p: { S: partition }, s: { S: sort } };
      const record = (micros: number, v: string) => {
        const r = kinesisRecord({ table: 'long-keys', id: 'unused', micros });
        const dynamodb = r.dynamodb as Record<string, unknown>;
        dynamodb.Keys = keys;
        dynamodb.NewImage = { ...keys, v: { S: v } };
        return r;
      };
      expect((await deliver(stand, [record(1_000, 'first')])).status).toBe(200);
      const second = await stand.app.request(
        new Request('http://sink.test/records', {
          method: 'POST',
          headers: { authorization: `Bearer ${ACCESS_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify([record(2_000, 'second'), record(1_500, 'older')]),
        }),
      );
      expect(await readJson(second)).toMatchObject({ applied: 1, stale: 1, deadLettered: 0 });
      const rows = await stand.query<{ p: string; s: string; v: string; bytes: number }>(
        `SELECT data->>'p' AS p, data->>'s' AS s, data->>'v' AS v, octet_length(pk) AS bytes FROM long_keys`,
      );
      expect(rows).toEqual([{ p: partition, s: sort, v: 'second', bytes: expect.any(Number) }]);
      expect(rows[0]!.bytes).toBeGreaterThan(2_704);
    });

    it('keeps writing a table keyed by pk (created by an earlier version) and takes long keys once it is migrated as README says', async () => {
      // The state table as earlier versions created it.
      await stand.query(`CREATE TABLE legacy (pk text PRIMARY KEY, data jsonb NOT NULL, deleted boolean NOT NULL DEFAULT false,
        version bigint NOT NULL, seq numeric, event_id text COLLATE "C" NOT NULL, event_name text NOT NULL,
        ttl_expired boolean NOT NULL DEFAULT false, keys_only boolean NOT NULL DEFAULT false, source_table text NOT NULL,
        changed_at timestamptz NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`);
      const long = 'k'.repeat(3_000);
      const post = async (records: unknown[]) => (await deliver(stand, records)).status;
      expect(await post([kinesisRecord({ table: 'legacy', id: 'a', micros: 2 }), kinesisRecord({ table: 'legacy', id: long, micros: 2 })])).toBe(200);
      expect(await post([kinesisRecord({ table: 'legacy', id: 'a', micros: 1, eventId: 'older' })])).toBe(200);
      expect(await stand.query(`SELECT pk, version::int AS version FROM legacy`)).toEqual([{ pk: '{"id":"a"}', version: 2 }]);
      const [letter] = await stand.query<{ error: string }>(`SELECT error FROM cdc_dead_letters WHERE source_table = 'legacy'`);
      expect(letter!.error).toMatch(/the key is 3\d{3} bytes, over PostgreSQL's 2704-byte limit .*earlier version.*migrate/);

      for (const statement of migration('legacy')) await stand.query(statement);
      expect(await post([kinesisRecord({ table: 'legacy', id: long, micros: 3 }), kinesisRecord({ table: 'legacy', id: 'a', micros: 3 })])).toBe(200);
      const rows = await stand.query<{ id: string; version: number }>(`SELECT data->>'id' AS id, version::int AS version FROM legacy ORDER BY pk`);
      expect(rows).toEqual([
        { id: 'a', version: 3 },
        { id: long, version: 3 },
      ]);
    });
  });
}

/** README, "The tables": migrating a table created by an earlier version to the hashed key (there in one transaction). */
function migration(table: string): string[] {
  return [
    `ALTER TABLE ${table} ADD COLUMN pk_hash bytea`,
    `UPDATE ${table} SET pk_hash = sha256(convert_to(pk, 'UTF8'))`,
    `ALTER TABLE ${table} ALTER COLUMN pk_hash SET NOT NULL, DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT "${table}-pk" PRIMARY KEY (pk_hash)`,
  ];
}
