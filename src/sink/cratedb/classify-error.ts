/**
 * How a CrateDB failure affects a delivery (error codes: the leading three digits are an HTTP
 * status; https://cratedb.com/docs/crate/reference/en/latest/interfaces/http.html#error-codes):
 * - `row`: CrateDB refused the data of some row (a cast or bind error, an invalid column name,
 *   a value that does not fit an existing sub-column): isolate the row;
 * - `missing_table`: 4041 unknown relation or 4045 unknown schema (the table was dropped):
 *   create it again;
 * - `retryable`: connection trouble, timeouts, 5xx (a circuit-breaker trip is a generic 5000):
 *   answer 5xx and let Firehose retry;
 * - `fatal`: authentication, permissions, or SQL CrateDB cannot parse: no row is to blame.
 */
export type CrateErrorClass = 'row' | 'missing_table' | 'retryable' | 'fatal';

/** An HTTP answer from CrateDB other than 200, or a failed bulk row (`status` from its code). */
export class CrateDbHttpError extends Error {
  readonly code = 'CRATEDB_HTTP';
  constructor(
    readonly status: number,
    readonly errorCode: number | null,
    message: string,
  ) {
    super(`CrateDB answered ${status}${errorCode === null ? '' : ` (${errorCode})`}: ${message}`);
    this.name = 'CrateDbHttpError';
  }
}

const MISSING_TABLE_CODES = new Set([4041, 4045]);

export function classifyCrateDbError(error: unknown): CrateErrorClass {
  if (!(error instanceof CrateDbHttpError)) return 'retryable'; // sockets, timeouts, TLS
  const { status, errorCode } = error;
  if (status >= 500 || status === 429 || status === 408) return 'retryable';
  if (errorCode !== null && MISSING_TABLE_CODES.has(errorCode)) return 'missing_table';
  if (status === 400) {
    // A statement CrateDB cannot parse is our fault, not a row's.
    return /SQLParseException|UnsupportedFeatureException/.test(error.message) ? 'fatal' : 'row';
  }
  return 'fatal'; // 401, 403, other 4xx: no row is to blame
}

/** A bulk row's `error` (CrateDB ≥ 5.10) as an error to classify; codes say the HTTP status. */
export function bulkRowError(error: { code?: number; message?: string } | undefined): CrateDbHttpError {
  const code = typeof error?.code === 'number' ? error.code : null;
  const status = code !== null && code >= 1000 ? Math.floor(code / 10 ** (String(code).length - 3)) : 400;
  return new CrateDbHttpError(status, code, error?.message ?? 'the row was refused (rowcount -2, no error given)');
}
