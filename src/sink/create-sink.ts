import type { Logger } from 'pino';
import type { SinkConfig } from '../config/config.js';
import { pgliteExecutor } from './pglite/pglite-executor.js';
import { pgPoolExecutor } from './postgres/pg-pool-executor.js';
import { PostgresSink } from './postgres/postgres-sink.js';
import type { Sink } from './sink.js';

/** Picks the sink from the configuration: a PostgreSQL server, or the embedded database. */
export async function createSink(config: SinkConfig, log: Logger): Promise<Sink> {
  const common = {
    schema: config.schema,
    deadLetterTable: config.deadLetterTable,
    changeLog: config.changeLog,
    maxRowsPerStatement: config.maxRowsPerStatement,
    maxBytesPerStatement: config.maxBytesPerStatement,
  };
  if (config.url === undefined) {
    const executor = await pgliteExecutor(config.pgliteDir);
    return new PostgresSink(executor, { ...common, kind: 'pglite' });
  }
  const executor = pgPoolExecutor({
    connectionString: config.url,
    maxConnections: config.poolSize,
    connectTimeoutMs: config.connectTimeoutMs,
    onIdleError: (error) => log.warn({ err: error }, 'idle database connection failed'),
  });
  return new PostgresSink(executor, { ...common, kind: 'postgres' });
}
