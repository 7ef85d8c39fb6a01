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

export interface Target {
  readonly sink: Sink;
  readonly checkpoints: CheckpointStore;
  /**
   * A sink writing into another schema over the same connections (a delivery stream's
   * TARGET_SCHEMA attribute). Closing `sink` closes the connections; these have nothing of their own to close.
   */
  readonly sinkFor: (schema: string) => Sink;
}

/**
 * The sink and, over the same connections (the embedded database can be opened only once), the
 * stream consumers' checkpoint store. Closing the sink closes both.
 */
export async function openTarget(config: SinkConfig, log: Logger): Promise<Target> {
  const limits = { maxRowsPerStatement: config.maxRowsPerStatement, maxBytesPerStatement: config.maxBytesPerStatement };
  if (config.url !== undefined && isCrateDbUrl(config.url)) {
    const target = parseCrateDbUrl(config.url);
    const client = new CrateDbClient({ target, connections: config.poolSize, timeoutMs: config.requestTimeoutMs });
    const schema = config.schema ?? target.schema;
    const crateDbSink = (inSchema: string) =>
      new CrateDbSink(client, {
        ...limits,
        schema: inSchema,
        deadLetterTable: config.deadLetterTable,
        tableSettings: { shards: config.crateDb.shards, replicas: config.crateDb.replicas },
        maxDataColumns: config.crateDb.maxDataColumns,
        layout: config.crateDb.layout,
      });
    return { sink: crateDbSink(schema), checkpoints: new CrateDbCheckpointStore(client, schema), sinkFor: (s) => unclosable(crateDbSink(s)) };
  }
  if (config.url === undefined) {
    const executor = await pgliteExecutor(config.pgliteDir, {
      // Only a holder elsewhere (a shared volume) that went silent for a minute is taken over: say so loudly.
      onLost: (path) => log.error({ path }, 'the lock of PGLITE_DIR is no longer this process’s: another process may be writing to it'),
      serveSql:
        config.embeddedSql === null
          ? undefined
          : {
              ...config.embeddedSql,
              onListening: ({ host, port }) =>
                log.info({ host, port }, `embedded database served over the PostgreSQL wire protocol: psql -h ${host} -p ${port} -U postgres`),
              onClientError: (error) => log.debug({ err: error }, 'embedded SQL client connection failed'),
            },
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

/** The PostgreSQL sink, checkpoint store and sinks into other schemas over `executor` (a pool, or the embedded database). */
export function postgresTarget(executor: SqlExecutor, config: SinkConfig, kind: 'postgres' | 'pglite'): Target {
  const schema = config.schema ?? 'public';
  const options = {
    maxRowsPerStatement: config.maxRowsPerStatement,
    maxBytesPerStatement: config.maxBytesPerStatement,
    schema,
    deadLetterTable: config.deadLetterTable,
    changeLog: config.changeLog,
    kind,
  };
  return {
    sink: new PostgresSink(executor, options),
    checkpoints: new PostgresCheckpointStore(executor, schema),
    sinkFor: (other) => unclosable(new PostgresSink(executor, { ...options, schema: other })),
  };
}

/** A sink sharing another's connections: closing it must not close them. */
function unclosable(sink: Sink): Sink {
  const view: Record<string, unknown> = { kind: sink.kind };
  const methods = sink as unknown as Record<string, unknown>;
  for (const name of ['write', 'claimNames', 'ping', 'purgeTombstones', 'liveRowsBelow', 'rewriteColumns']) {
    const method = methods[name];
    if (typeof method === 'function') view[name] = method.bind(sink);
  }
  view.close = async () => undefined;
  return view as unknown as Sink;
}
