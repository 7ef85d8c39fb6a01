import type { Logger } from 'pino';
import type { SinkConfig } from '../config/config.js';
import { CrateDbClient } from './cratedb/cratedb-client.js';
import { CrateDbSink } from './cratedb/cratedb-sink.js';
import { isCrateDbUrl, parseCrateDbUrl } from './cratedb/cratedb-url.js';
import { pgliteExecutor } from './pglite/pglite-executor.js';
import { pgPoolExecutor } from './postgres/pg-pool-executor.js';
import { PostgresSink } from './postgres/postgres-sink.js';
import type { Sink } from './sink.js';

/** Picks the sink from SINK_URL: CrateDB, a PostgreSQL server, or (unset) the embedded database. */
export async function createSink(config: SinkConfig, log: Logger): Promise<Sink> {
  const limits = { maxRowsPerStatement: config.maxRowsPerStatement, maxBytesPerStatement: config.maxBytesPerStatement };
  if (config.url !== undefined && isCrateDbUrl(config.url)) {
    const target = parseCrateDbUrl(config.url);
    const client = new CrateDbClient({ target, connections: config.poolSize, timeoutMs: config.requestTimeoutMs });
    return new CrateDbSink(client, {
      ...limits,
      schema: config.schema ?? target.schema,
      deadLetterTable: config.deadLetterTable,
      tableSettings: { shards: config.crateDb.shards, replicas: config.crateDb.replicas },
      maxDataColumns: config.crateDb.maxDataColumns,
    });
  }
  const common = { ...limits, schema: config.schema ?? 'public', deadLetterTable: config.deadLetterTable, changeLog: config.changeLog };
  if (config.url === undefined) {
    const executor = await pgliteExecutor(config.pgliteDir, {
      // Only a holder elsewhere (a shared volume) that went silent for a minute is taken over: say so loudly.
      onLost: (path) => log.error({ path }, 'the lock of PGLITE_DIR is no longer this process’s: another process may be writing to it'),
    });
    return new PostgresSink(executor, { ...common, kind: 'pglite' });
  }
  const executor = pgPoolExecutor({
    connectionString: config.url,
    maxConnections: config.poolSize,
    connectTimeoutMs: config.connectTimeoutMs,
    statementTimeoutMs: config.requestTimeoutMs,
    onIdleError: (error) => log.warn({ err: error }, 'idle database connection failed'),
  });
  return new PostgresSink(executor, { ...common, kind: 'postgres' });
}
