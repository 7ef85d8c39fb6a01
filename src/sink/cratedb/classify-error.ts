import type { SqlErrorClass } from '../sql/sink-errors.js';

/**
 * How a CrateDB failure affects a delivery (error codes: the leading three digits are an HTTP
 * status; https://cratedb.com/docs/crate/reference/en/latest/interfaces/http.html#error-codes):
 * - `row`: CrateDB refused the data of some row (a cast, a value too long to index, an invalid
 *   column name, a sub-column that exists with another type): isolate the row;
 * - `missing_table`: 4041 unknown relation or 4045 unknown schema (the table was dropped):
 *   create it again;
 * - `retryable`: connection trouble, timeouts, 5xx (a circuit-breaker trip is a generic 5000):
 *   answer 5xx and let Firehose retry;
 * - `fatal`: authentication, privileges, or SQL CrateDB cannot parse: no row is to blame.
 * The rules follow the answers of a running CrateDB 6.4.3 (test/unit/sink/cratedb/classify-error.test.ts
 * lists each answer observed): CrateDB reports casts and analysis errors as `SQLParseException`
 * (4000), syntax errors as `ParsingException` (4000), so the exception name decides, not the code.
 */
export type CrateErrorClass = SqlErrorClass;

/** An HTTP answer from CrateDB other than 200, or a failed bulk row (`status` from its code). */
export class CrateDbHttpError extends Error {
  readonly code = 'CRATEDB_HTTP';
  constructor(
    readonly status: number,
    readonly errorCode: number | null,
    message: string,
    /** A row's entry in bulk results, not an answer to the whole request. */
    readonly bulkRow = false,
  ) {
    super(`CrateDB answered ${status}${errorCode === null ? '' : ` (${errorCode})`}: ${message}`);
    this.name = 'CrateDbHttpError';
  }
}

const MISSING_TABLE_CODES = new Set([4041, 4045]);
/** Our statement, not the data: the column list or the grammar is wrong, or a key is assigned. */
const STATEMENT_CODES = new Set([4003, 4043]);
export const VERSION_CONFLICT = 4092;
const SHARD_NOT_READY = 4040;
export const DOCUMENT_MISSING = 40411;

export function classifyCrateDbError(error: unknown): CrateErrorClass {
  if (!(error instanceof CrateDbHttpError)) return 'retryable'; // sockets, timeouts, TLS
  const { status, errorCode, message, bulkRow } = error;
  // A bulk row failing on a Java cast (a list whose elements do not fit the sub-column: 5000,
  // observed) is the row's data; any other 5xxx row error (a shard unavailable) is trouble.
  if (bulkRow && errorCode === 5000 && /ClassCastException/.test(message)) return 'row';
  // Nor one failing on a Java null (a list into a sub-column null typed `undefined`: observed
  // on 6.4.3, and foreseen in project-item.ts): the same row fails again and again.
  if (bulkRow && errorCode === 5000 && /NullPointerException\[/.test(message)) return 'row';
  // Nor is one whose stored document cannot be read back (unreadable-source.ts): the sink has
  // refreshed the table and sent it again already; failing still, it is isolated and, failing
  // every shape, dead-lettered rather than blocking the delivery for good.
  if (bulkRow && isUnreadableSource({ code: errorCode, message })) return 'row';
  if (status >= 500 || status === 429 || status === 408) return 'retryable';
  // A shard not started yet (RECOVERING just after CREATE TABLE, observed), or relocating.
  if (errorCode === SHARD_NOT_READY) return 'retryable';
  if (errorCode !== null && MISSING_TABLE_CODES.has(errorCode)) return 'missing_table';
  if (errorCode !== null && STATEMENT_CODES.has(errorCode)) return 'fatal';
  if (status === 400) return /ParsingException|UnsupportedFeatureException/.test(message) ? 'fatal' : 'row';
  return 'fatal'; // 401 (a plain-text refusal, or 4011 missing privilege), other 4xx
}

/** A row CrateDB 6.4.3 cannot read by key until a refresh (unreadable-source.ts): 5000, Invalid UTF-8. */
export function isUnreadableSource(error: { code?: number | null; message?: string } | undefined): boolean {
  return error?.code === 5000 && /Invalid UTF-8: Illegal surrogate character/.test(error.message ?? '');
}

/** A bulk row's `error` (CrateDB ≥ 5.10) as an error to classify; codes say the HTTP status. */
export function bulkRowError(error: { code?: number; message?: string } | undefined): CrateDbHttpError {
  const code = typeof error?.code === 'number' ? error.code : null;
  const status = code !== null && code >= 1000 ? Math.floor(code / 10 ** (String(code).length - 3)) : 400;
  return new CrateDbHttpError(status, code, error?.message ?? 'the row was refused (rowcount -2, no error given)', true);
}
