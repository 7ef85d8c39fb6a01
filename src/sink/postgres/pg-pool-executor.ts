import pg from 'pg';
import type { SqlExecutor } from './sql-executor.js';

export interface PgPoolOptions {
  readonly connectionString: string;
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  /** The server cancels a statement running longer (57014, retryable): a stuck write must not hold its delivery's slot forever. */
  readonly statementTimeoutMs: number;
  readonly onIdleError: (error: Error) => void;
}

/** A PostgreSQL server over a pool of connections (node-postgres). */
export function pgPoolExecutor(options: PgPoolOptions): SqlExecutor {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections,
    connectionTimeoutMillis: options.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs,
    application_name: 'dynamodb-cdc-sink',
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', options.onIdleError);
  return {
    async query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
      const result = await pool.query<Row>(text, params as unknown[] | undefined);
      return result.rows;
    },
    close: () => pool.end(),
  };
}
