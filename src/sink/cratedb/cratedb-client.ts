import { Pool, errors as undiciErrors } from 'undici';
import { CrateDbHttpError } from './classify-error.js';
import type { CrateDbTarget } from './cratedb-url.js';

/** `/_sql` answers: https://cratedb.com/docs/crate/reference/en/latest/interfaces/http.html */
export interface SqlResult {
  readonly cols: string[];
  readonly rows: unknown[][];
  readonly rowcount: number;
}

export interface BulkResult {
  /** Per row: rowcount 1 (or 0), or -2 when the row failed (with `error` since CrateDB 5.10). */
  readonly results: { rowcount: number; error?: { code?: number; message?: string } }[];
}

export interface CrateDbClientOptions {
  readonly target: CrateDbTarget;
  readonly connections: number;
  readonly timeoutMs: number;
}

const SHARD_NOT_READY = 4040;
const SHARD_RETRIES = 5;

/** A keep-alive connection pool to one CrateDB node's HTTP endpoint. */
export class CrateDbClient {
  private readonly pool: Pool;
  private readonly auth: string;

  constructor(private readonly options: CrateDbClientOptions) {
    this.pool = new Pool(options.target.origin, {
      connections: options.connections,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
    });
    const { username, password } = options.target;
    this.auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  /** One statement with `args`. */
  execute(stmt: string, args: readonly unknown[] = []): Promise<SqlResult> {
    return this.post(JSON.stringify({ stmt, args })) as Promise<SqlResult>;
  }

  /**
   * One statement, many rows (`bulk_args`). Each row is given as JSON array text, so that values
   * already serialized exactly (numbers as doubles, exact item text) are not re-encoded.
   */
  executeBulk(stmt: string, rows: readonly string[]): Promise<BulkResult> {
    return this.post(`{"stmt":${JSON.stringify(stmt)},"bulk_args":[${rows.join(',')}]}`) as Promise<BulkResult>;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /**
   * Every statement the sink sends is idempotent, so one that meets a shard not ready yet (4040:
   * RECOVERING or "no such shard" for a moment after another instance created the table,
   * observed on 6.4.3) is sent again, a few times, before it is failed as retryable trouble.
   */
  private async post(body: string): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.postOnce(body);
      } catch (error) {
        if (!(error instanceof CrateDbHttpError) || error.errorCode !== SHARD_NOT_READY || attempt >= SHARD_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      }
    }
  }

  private async postOnce(body: string): Promise<unknown> {
    let response;
    try {
      response = await this.pool.request({
        method: 'POST',
        path: '/_sql?error_trace=false',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: this.auth },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw connectionError(error);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw connectionError(error);
    }
    if (response.statusCode === 200) return JSON.parse(text) as unknown;
    throw httpError(response.statusCode, text);
  }
}

function httpError(status: number, text: string): CrateDbHttpError {
  // Errors are {"error": {"message", "code"}}; a 401 is plain text.
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string; code?: number } };
    if (parsed.error) return new CrateDbHttpError(status, parsed.error.code ?? null, parsed.error.message ?? text);
  } catch {
    // not JSON
  }
  return new CrateDbHttpError(status, null, text.slice(0, 500));
}

function connectionError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const timeout = error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || name === 'TimeoutError';
  return new Error(`CrateDB ${timeout ? 'timed out' : 'unreachable'}: ${message}`, { cause: error });
}
