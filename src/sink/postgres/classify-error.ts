import type { SqlErrorClass } from '../sql/sink-errors.js';

/**
 * How a PostgreSQL error affects a delivery (SQLSTATE classes:
 * https://www.postgresql.org/docs/15/errcodes-appendix.html):
 * - `row`: the data of some row is refused (22 data exception, 23 integrity, 54 program limit such
 *   as an index row too large): isolate the row and dead-letter it;
 * - `retryable`: the database is unreachable or overloaded: answer 5xx and let Firehose retry;
 * - `fatal`: the statement or schema is wrong (42 syntax or undefined column, 28 auth, …): no
 *   row is to blame, so nothing is dead-lettered; the delivery fails and is retried.
 */
/** PostgreSQL's errors in the shared classes (sql/sink-errors.ts); a table changed under us is told apart by TABLE_CHANGED_CODES. */
export type ErrorClass = Exclude<SqlErrorClass, 'missing_table'>;

const RETRYABLE_CODES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '57014', 'XX000']);

export function classifyPostgresError(error: unknown): ErrorClass {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) {
    // No SQLSTATE: a socket error (ECONNRESET, ECONNREFUSED) or a dropped connection.
    return 'retryable';
  }
  const category = code.slice(0, 2);
  if (category === '22' || category === '23' || category === '54') return 'row';
  if (RETRYABLE_CODES.has(code) || category === '08' || category === '53' || category === '58') return 'retryable';
  return 'fatal';
}

export const UNDEFINED_TABLE = '42P01';
/**
 * A state table dropped (undefined table), or migrated to the hashed key while we run: the
 * statement's ON CONFLICT target is no longer a unique key (42P10), or names a column the table
 * lacks (42703).
 */
export const TABLE_CHANGED_CODES = new Set([UNDEFINED_TABLE, '42P10', '42703']);
// Two writers creating the same table (or function) at once, or the function made by an earlier start.
export const CREATE_RACE_CODES = new Set(['23505', '42P07', '42723']);

export function sqlState(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}
