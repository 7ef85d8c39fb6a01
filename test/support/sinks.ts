import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createSink } from '../../src/sink/create-sink.js';
import type { Sink } from '../../src/sink/sink.js';
import { ACCESS_KEY } from './firehose.js';

/** The PostgreSQL server the integration tests use; .ci/run sets it. */
export const postgresUrl = process.env.TEST_POSTGRES_URL;

export interface SinkTarget {
  readonly name: 'pglite' | 'postgres';
  /** Why this target is skipped here, or null when it runs. */
  readonly skipReason: string | null;
}

export const sinkTargets: SinkTarget[] = [
  { name: 'pglite', skipReason: null },
  {
    name: 'postgres',
    skipReason: postgresUrl ? null : 'TEST_POSTGRES_URL is not set (.ci/run sets it to the local server)',
  },
];

export interface Harness {
  readonly app: ReturnType<typeof createApp>;
  readonly sink: Sink;
  readonly config: Config;
  /** Runs SQL against the sink's database, in the harness's own schema. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  readonly schema: string;
  close(): Promise<void>;
}

/**
 * An app over a real database: the embedded PGlite (in memory), or the PostgreSQL server in a
 * schema of its own that is dropped afterwards.
 */
export async function createHarness(target: SinkTarget['name'], env: Record<string, string> = {}): Promise<Harness> {
  const schema = target === 'postgres' ? `t_${randomBytes(6).toString('hex')}` : 'public';
  const loaded = loadConfig({
    ACCESS_KEY,
    PGLITE_DIR: 'memory://',
    SINK_URL: target === 'postgres' ? postgresUrl : undefined,
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
  } else {
    // PGlite lives in this process: reach it through the sink's own executor.
    const executor = (sink as unknown as { db: { query: Harness['query'] } }).db;
    query = (text, params) => executor.query(text, params);
    closeQuery = async () => undefined;
  }
  return {
    app,
    sink,
    config,
    schema,
    query,
    async close() {
      await closeQuery();
      await sink.close();
    },
  };
}
