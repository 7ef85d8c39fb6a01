import { randomBytes } from 'node:crypto';
import { parse, type LosslessNumber } from 'lossless-json';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { canonicalNumber } from '../../src/decode/dynamo-number.js';
import { TargetTables } from '../../src/pipeline/target-tables.js';
import { parseCrateDbUrl } from '../../src/sink/cratedb/cratedb-url.js';
import type { CheckpointStore } from '../../src/sink/checkpoint-store.js';
import { openTarget, postgresTarget } from '../../src/sink/create-sink.js';
import { pgliteExecutor } from '../../src/sink/pglite/pglite-executor.js';
import { tableNaming } from '../../src/translate/target-name.js';
import type { Sink } from '../../src/sink/sink.js';
import { crateDbUrl, liveQuery } from './cratedb-live.js';
import { stateTableRefusing, tablesRefusingNul } from './cratedb-refusals.js';
import { CrateDbStandIn, type StandInRequest } from './cratedb-stand-in.js';
import { ACCESS_KEY } from './firehose.js';
import type { AnswerHooks } from './answer-hooks.js';
import { startRecordingProxy } from './recording-proxy.js';
import { tableReads, type RowFlavour, type TableReads } from './stored-rows.js';

/** The PostgreSQL server the integration tests use; .ci/run sets it. */
export const postgresUrl = process.env.TEST_POSTGRES_URL;

export type TargetName = 'pglite' | 'postgres' | 'cratedb-stand-in' | 'cratedb';

export interface SinkTarget {
  readonly name: TargetName;
  /** Why this target is skipped here, or null when it runs. */
  readonly skipReason: string | null;
  /**
   * How many times PGlite's time the same work may take here, for tests that give time in
   * proportion to work: the stand-in writes bulk rows one by one, and a real CrateDB takes
   * about a second per CREATE or DROP TABLE on one node.
   */
  readonly timeScale: number;
}

/** A real CrateDB: only where CRATEDB_URL is set (npm run test:cratedb). */
export const liveCrateDbTarget: SinkTarget = {
  name: 'cratedb',
  skipReason: crateDbUrl ? null : 'CRATEDB_URL is not set: npm run test:cratedb runs this against a real CrateDB',
  // Creating and dropping a table takes CrateDB about a second: a convergence history, about 8 s
  // on this 2-core machine (6.4.3), 200 of them about 27 minutes.
  timeScale: 40,
};

/** Every database the shared suites run against. */
export const sinkTargets: SinkTarget[] = [
  { name: 'pglite', skipReason: null, timeScale: 1 },
  {
    name: 'postgres',
    skipReason: postgresUrl ? null : 'TEST_POSTGRES_URL is not set (.ci/run sets it to the local server)',
    timeScale: 1,
  },
  // The CrateDB sink against test/support/cratedb-stand-in.ts, which is not CrateDB.
  { name: 'cratedb-stand-in', skipReason: null, timeScale: 3 },
  liveCrateDbTarget,
];

/** The CrateDB sink's targets: the stand-in, and the real CrateDB where CRATEDB_URL is set. */
export const crateDbTargets: SinkTarget[] = sinkTargets.filter((t) => t.name.startsWith('cratedb'));

/** `describe` title of a target, saying why it is skipped. */
export function targetTitle(what: string, target: SinkTarget): string {
  return `${what} ${target.name}${target.skipReason ? ` (skipped: ${target.skipReason})` : ''}`;
}

export interface Harness extends TableReads {
  readonly app: ReturnType<typeof createApp>;
  readonly sink: Sink;
  /** The stream consumers' checkpoints and leases, in the same database. */
  readonly checkpoints: CheckpointStore;
  readonly config: Config;
  readonly target: TargetName;
  /** Claims target tables for the harness's sink, as the app does. */
  readonly targets: TargetTables;
  /** Runs SQL against the sink's database, in the harness's own schema (the database's own dialect). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  readonly schema: string;
  /** The stand-in, for tests that inject its faults. */
  readonly standIn?: CrateDbStandIn;
  /** CrateDB targets: every `/_sql` request the sink sent. */
  readonly requests?: StandInRequest[];
  /** CrateDB targets: actions run between the database's answer to a request and the sink reading it. */
  readonly afterAnswer?: AnswerHooks;
  /**
   * Makes the database refuse rows of `table` (and of its change log) holding U+0000, before the
   * table exists: PostgreSQL text cannot hold it anyway; the stand-in is told to refuse them; a
   * real CrateDB gets the table with a CHECK constraint.
   */
  refuseNul(table: string): Promise<void>;
  /**
   * CrateDB targets: another writer, behind the sink's back, gives an existing table the
   * sub-column `data[attribute]`, typed by `value` (TEXT or DOUBLE; with a row of its own in a
   * real CrateDB).
   */
  subColumnByAnotherWriter(table: string, attribute: string, value: string | number): Promise<void>;
  /** CrateDB targets: refuses rows of `table` whose `data` holds the attribute, before the table exists. */
  refuseRowsHolding(table: string, attribute: string): Promise<void>;
  /**
   * README's promise for a number: PostgreSQL keeps every digit in `data`, queryable as a number;
   * CrateDB's `data` holds doubles, so a number a double cannot hold exactly is kept in `aux`.
   */
  expectNumberKept(table: string, key: Record<string, unknown>, attribute: string, digits: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * An app over a real database: the embedded PGlite (in memory), the PostgreSQL server or a live
 * CrateDB in a schema of its own that is dropped afterwards, or the CrateDB stand-in.
 */
export async function createHarness(target: TargetName, env: Record<string, string> = {}): Promise<Harness> {
  const own = target === 'postgres' || target === 'cratedb';
  const schema = own ? `t_${randomBytes(6).toString('hex')}` : target === 'pglite' ? 'public' : 'doc';
  const standIn = target === 'cratedb-stand-in' ? await CrateDbStandIn.start() : undefined;
  const proxy = target === 'cratedb' ? await startRecordingProxy(parseCrateDbUrl(crateDbUrl!).origin) : undefined;
  const loaded = loadConfig({
    ACCESS_KEY,
    PGLITE_DIR: 'memory://',
    SINK_URL: target === 'postgres' ? postgresUrl : proxy ? viaProxy(crateDbUrl!, proxy.url) : standIn ? `${standIn.url}/?schema=doc` : undefined,
    TARGET_SCHEMA: schema,
    LOG_LEVEL: 'silent',
    // One shard, no replica: tables are created and dropped by the hundred on a single node.
    ...(target === 'cratedb' ? { CRATEDB_SHARDS: '1', CRATEDB_REPLICAS: '0' } : {}),
    ...env,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const { config } = loaded;
  const log = pino({ level: 'silent' });
  // PGlite lives in this process: the harness reads it through the very executor the sink writes with.
  const embedded = target === 'pglite' ? await pgliteExecutor(config.sink.pgliteDir) : undefined;
  const { sink, checkpoints } = embedded ? postgresTarget(embedded, config.sink, 'pglite') : await openTarget(config.sink, log);
  const app = createApp({ config, sink, log });
  let query: Harness['query'];
  let closeQuery: () => Promise<void>;
  if (target === 'postgres') {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`SET search_path TO "${schema}"`);
    query = async (text, params) => (await client.query(text, params)).rows;
    closeQuery = async () => {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    };
  } else if (proxy) {
    const live = liveQuery(crateDbUrl!, schema);
    query = live.query;
    closeQuery = async () => {
      await live.dropSchema();
      await proxy.close();
    };
  } else if (standIn) {
    await standIn.query('SET search_path TO doc');
    query = (text, params) => standIn.query(text, params) as Promise<never[]>;
    closeQuery = () => standIn.close();
  } else {
    query = (text, params) => embedded!.query(text, params) as Promise<never[]>;
    closeQuery = async () => undefined;
  }
  const flavour: RowFlavour = target === 'cratedb' || target === 'cratedb-stand-in' ? target : 'postgres';
  const reads = tableReads(query, flavour, schema, config.sink.deadLetterTable);
  const settings = { shards: config.sink.crateDb.shards, replicas: config.sink.crateDb.replicas };
  const refuseOnStandIn = (refuses: (args: unknown[], stmt: string) => boolean) => {
    standIn!.refuseRow = (args, stmt) => (refuses(args, stmt) ? 'the stand-in refuses this row' : null);
  };
  const upsertInto = (stmt: string, table: string) => stmt.startsWith(`INSERT INTO "doc"."${table}" `);
  return {
    ...reads,
    app,
    sink,
    checkpoints,
    config,
    target,
    targets: new TargetTables(tableNaming(config.tableMap, config.sink.deadLetterTable), sink),
    schema,
    standIn,
    requests: standIn?.requests ?? proxy?.requests,
    afterAnswer: standIn?.afterAnswer ?? proxy?.afterAnswer,
    query,
    async refuseNul(table) {
      if (standIn) {
        // In JSON text (the exact item) or in a value, the character shows as the escape \u0000.
        refuseOnStandIn((args, stmt) => (upsertInto(stmt, table) || upsertInto(stmt, `${table}_changes`)) && JSON.stringify(args).includes('\\u0000'));
      } else if (proxy) {
        for (const create of tablesRefusingNul(schema, table, settings)) await query(create);
      }
    },
    async refuseRowsHolding(table, attribute) {
      if (standIn) {
        refuseOnStandIn((args, stmt) => upsertInto(stmt, table) && Object.hasOwn(parse(JSON.stringify(args[1])) as object, attribute));
      } else if (proxy) {
        await query(stateTableRefusing(schema, table, settings, attribute));
      } else {
        throw new Error(`${target} refuses no row for its data`);
      }
    },
    async subColumnByAnotherWriter(table, attribute, value) {
      if (standIn) return standIn.setType('doc', table, [attribute], typeof value === 'string' ? 'text' : 'double precision');
      if (!proxy) throw new Error(`${target} has no sub-columns`);
      await query(
        `INSERT INTO "${table}" (pk, data, deleted, version, seq, event_id, event_name, ttl_expired, keys_only, source_table, changed_at, written_at)
         VALUES (?, ?, false, 1, '', 'another-writer', 'INSERT', false, false, 'another-writer', 0, 0)`,
        [JSON.stringify({ id: `another-writer-${attribute}` }), { [attribute]: value }],
      );
    },
    async expectNumberKept(table, key, attribute, digits) {
      if (flavour === 'postgres') {
        const [r] = await query<{ text: string; equal: boolean }>(
          `SELECT data->>$2 AS text, (data->>$2)::numeric = $3::numeric AS equal FROM "${table}" WHERE pk = $1`,
          [JSON.stringify(key), attribute, digits],
        );
        expect(r, `${attribute} in data, every digit, equal as a number`).toEqual({ text: digits, equal: true });
        return;
      }
      const row = (await reads.row(table, key))!;
      const inData = (parse(row.data) as Record<string, LosslessNumber | undefined>)[attribute];
      if (canonicalNumber(String(Number(digits)), attribute) === digits) {
        expect(inData?.value, `${attribute}: a double holds it exactly, in data`).toBe(digits);
      } else {
        expect(inData, `${attribute}: not in data`).toBeUndefined();
        expect(row.aux, `${attribute}: every digit in aux`).toContainEqual({ path: [attribute], value: digits, reason: 'number_precision' });
      }
    },
    async close() {
      await sink.close();
      await closeQuery();
    },
  };
}

/** CRATEDB_URL with its host and port replaced by the recording proxy's. */
function viaProxy(url: string, proxyUrl: string): string {
  const { username, password, schema } = parseCrateDbUrl(url);
  const proxy = new URL(proxyUrl);
  proxy.username = encodeURIComponent(username);
  proxy.password = encodeURIComponent(password);
  proxy.searchParams.set('schema', schema);
  return proxy.toString();
}

/**
 * One `describe` per target (skipped, with the reason, where it cannot run), each with a harness
 * of its own for the whole suite: `body` reaches it through `h` once the suite runs.
 */
export function describeTargets(
  what: string,
  targets: readonly SinkTarget[],
  env: Record<string, string>,
  body: (h: Harness, target: SinkTarget) => void,
): void {
  for (const target of targets) {
    describe.skipIf(target.skipReason !== null)(targetTitle(what, target), () => {
      let current: Harness | undefined;
      beforeAll(async () => {
        current = await createHarness(target.name, env);
      });
      afterAll(async () => current?.close());
      const h = new Proxy({} as Harness, {
        get: (_target, key) => {
          if (!current) throw new Error(`the ${target.name} harness is used before the suite started`);
          return Reflect.get(current, key);
        },
      });
      body(h, target);
    });
  }
}
