import type { Logger } from 'pino';
import type { SinkConfig } from '../config/config.js';
import { CrateDbClient } from './cratedb/cratedb-client.js';
import { CrateDbSink } from './cratedb/cratedb-sink.js';
import { isCrateDbUrl, parseCrateDbUrl } from './cratedb/cratedb-url.js';
import { pgliteExecutor } from './pglite/pglite-executor.js';
import { pgPoolExecutor } from './postgres/pg-pool-executor.js';
import { PostgresSink } from './postgres/postgres-sink.js';
import type { SqlExecutor } from './postgres/sql-executor.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { CrateDbCheckpointStore } from './cratedb/checkpoint-store.js';
import { PostgresCheckpointStore } from './postgres/checkpoint-store.js';
import type { Sink } from './sink.js';

/** Picks the sink from SINK_URL: CrateDB, a PostgreSQL server, or (unset) the embedded database. */
export async function createSink(config: SinkConfig, log: Logger): Promise<Sink> {
  return (await openTarget(config, log)).sink;
}

/**
 * The sink and, over the same connections (the embedded database can be opened only once), the
 * stream consumers' checkpoint store. Closing the sink closes both.
 */
export async function openTarget(config: SinkConfig, log: Logger): Promise<{ sink: Sink; checkpoints: CheckpointStore }> {
  const limits = { maxRowsPerStatement: config.maxRowsPerStatement, maxBytesPerStatement: config.maxBytesPerStatement };
  if (config.url !== undefined && isCrateDbUrl(config.url)) {
    const target = parseCrateDbUrl(config.url);
    const client = new CrateDbClient({ target, connections: config.poolSize, timeoutMs: config.requestTimeoutMs });
    const schema = config.schema ?? target.schema;
    const sink = new CrateDbSink(client, {
      ...limits,
      schema,
      deadLetterTable: config.deadLetterTable,
      tableSettings: { shards: config.crateDb.shards, replicas: config.crateDb.replicas },
      maxDataColumns: config.crateDb.maxDataColumns,
    });
    return { sink, checkpoints: new CrateDbCheckpointStore(client, schema) };
  }
  if (config.url === undefined) {
    const executor = await pgliteExecutor(config.pgliteDir, {
      // Only a holder elsewhere (a shared volume) that went silent for a minute is taken over: say so loudly.
      onLost: (path) => log.error({ path }, 'the lock of PGLITE_DIR is no longer this process’s: another process may be writing to it'),
    });
    return postgresTarget(executor, config, 'pglite');
  }
  const executor = pgPoolExecutor({
    connectionString: config.url,
    maxConnections: config.poolSize,
    connectTimeoutMs: config.connectTimeoutMs,
    statementTimeoutMs: config.requestTimeoutMs,
    onIdleError: (error) => log.warn({ err: error }, 'idle database connection failed'),
  });
  return postgresTarget(executor, config, 'postgres');
}

/** The PostgreSQL sink and checkpoint store over `executor` (a pool, or the embedded database). */
export function postgresTarget(executor: SqlExecutor, config: SinkConfig, kind: 'postgres' | 'pglite'): { sink: Sink; checkpoints: CheckpointStore } {
  const schema = config.schema ?? 'public';
  const options = {
    maxRowsPerStatement: config.maxRowsPerStatement,
    maxBytesPerStatement: config.maxBytesPerStatement,
    schema,
    deadLetterTable: config.deadLetterTable,
    changeLog: config.changeLog,
    kind,
  };
  return { sink: new PostgresSink(executor, options), checkpoints: new PostgresCheckpointStore(executor, schema) };
}
