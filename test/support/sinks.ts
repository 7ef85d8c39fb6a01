import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { TargetTables } from '../../src/pipeline/target-tables.js';
import { createSink } from '../../src/sink/create-sink.js';
import { tableNaming } from '../../src/translate/target-name.js';
import type { Sink } from '../../src/sink/sink.js';
import { crateDbUrl, jsonText, liveQuery } from './cratedb-live.js';
import { CrateDbStandIn } from './cratedb-stand-in.js';
import { ACCESS_KEY } from './firehose.js';

/** The PostgreSQL server the integration tests use; .ci/run sets it. */
export const postgresUrl = process.env.TEST_POSTGRES_URL;

export type TargetName = 'pglite' | 'postgres' | 'cratedb-stand-in' | 'cratedb';

export interface SinkTarget {
  readonly name: TargetName;
  /** Why this target is skipped here, or null when it runs. */
  readonly skipReason: string | null;
}

export const sinkTargets: SinkTarget[] = [
  { name: 'pglite', skipReason: null },
  {
    name: 'postgres',
    skipReason: postgresUrl ? null : 'TEST_POSTGRES_URL is not set (.ci/run sets it to the local server)',
  },
  // The CrateDB sink against test/support/cratedb-stand-in.ts, which is not CrateDB.
  { name: 'cratedb-stand-in', skipReason: null },
];

/** A real CrateDB: only for suites whose SQL is CrateDB's too (the stand-in reads with PostgreSQL). */
export const liveCrateDbTarget: SinkTarget = {
  name: 'cratedb',
  skipReason: crateDbUrl ? null : 'CRATEDB_URL is not set: npm run test:cratedb runs this against a real CrateDB',
};

/** A state-table row as the convergence checks read it. */
export interface StateRow {
  pk: string;
  deleted: boolean;
  /** The exact item JSON text. */
  item: string;
  version: string;
  event_name: string;
  /** CrateDB only: the projected `data` and the `aux` diversions. */
  data?: string;
  aux?: string;
}

export interface Harness {
  readonly app: ReturnType<typeof createApp>;
  readonly sink: Sink;
  readonly config: Config;
  /** Claims target tables for the harness's sink, as the app does. */
  readonly targets: TargetTables;
  /** Runs SQL against the sink's database, in the harness's own schema. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Every row of a state table. */
  readState(table: string): Promise<StateRow[]>;
  readonly schema: string;
  readonly standIn?: CrateDbStandIn;
  /**
   * Makes the database refuse rows holding U+0000: PostgreSQL text cannot hold it anyway; the
   * CrateDB stand-in is told to refuse them, as CrateDB refuses a value it cannot store.
   */
  refuseNul(): void;
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
  const loaded = loadConfig({
    ACCESS_KEY,
    PGLITE_DIR: 'memory://',
    SINK_URL: target === 'postgres' ? postgresUrl : target === 'cratedb' ? crateDbUrl : standIn ? `${standIn.url}/?schema=doc` : undefined,
    TARGET_SCHEMA: schema,
    LOG_LEVEL: 'silent',
    ...env,
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const { config } = loaded;
  const log = pino({ level: 'silent' });
  const sink = await createSink(config.sink, log);
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
  } else if (target === 'cratedb') {
    const live = liveQuery(crateDbUrl!, schema);
    query = live.query;
    closeQuery = live.dropSchema;
  } else if (standIn) {
    await standIn.query('SET search_path TO doc');
    query = (text, params) => standIn.query(text, params) as Promise<never[]>;
    closeQuery = () => standIn.close();
  } else {
    // PGlite lives in this process: reach it through the sink's own executor.
    const executor = (sink as unknown as { db: { query: Harness['query'] } }).db;
    query = (text, params) => executor.query(text, params);
    closeQuery = async () => undefined;
  }
  const readState = async (table: string): Promise<StateRow[]> => {
    if (target === 'cratedb') {
      const rows = await query<Omit<StateRow, 'data' | 'aux' | 'version'> & { data: unknown; aux: unknown; version: unknown }>(
        `SELECT pk, deleted, item, version, event_name, data, aux FROM "${table}" ORDER BY pk`,
      );
      return rows.map((r) => ({ ...r, version: String(r.version), data: jsonText(r.data), aux: jsonText(r.aux) }));
    }
    const common = 'pk, deleted, version::text AS version, event_name';
    return query<StateRow>(
      standIn
        ? `SELECT ${common}, item, data::text AS data, aux::text AS aux FROM "${table}" ORDER BY pk`
        : `SELECT ${common}, data::text AS item FROM "${table}" ORDER BY pk`,
    );
  };
  return {
    app,
    sink,
    config,
    targets: new TargetTables(tableNaming(config.tableMap, config.sink.deadLetterTable), sink),
    schema,
    standIn,
    query,
    readState,
    refuseNul() {
      if (!standIn) return;
      standIn.refuseRow = (args, stmt) =>
        // In JSON text (the exact item) or in a value, the character shows as the escape \u0000.
        !stmt.includes(config.sink.deadLetterTable) && JSON.stringify(args).includes('\\u0000') ? 'the stand-in refuses this row' : null;
    },
    async close() {
      await sink.close();
      await closeQuery();
    },
  };
}
