import { SinkError } from '../sink.js';

/**
 * What a database failure means for a delivery, on every SQL sink; each database says which of
 * these an error is in one small, pure, tested function (postgres/classify-error.ts,
 * cratedb/classify-error.ts):
 * - `row`: the data of some row is refused: the write loop isolates the row and dead-letters it;
 * - `missing_table`: a table was dropped (or changed) while the sink runs: create it again, once;
 * - `retryable`: the database is unreachable or overloaded: answer 5xx, retry soon;
 * - `fatal`: the statement, schema or credentials are wrong: no row is to blame.
 */
export type SqlErrorClass = 'row' | 'missing_table' | 'retryable' | 'fatal';

export type ClassifyError = (error: unknown) => SqlErrorClass;

/**
 * The one retryability rule: a write that failed is worth retrying only for `retryable` trouble.
 * A row refusal that escaped the write loop (the dead-letter table refusing a letter, say) would
 * be refused again, and so would a table still missing after it was created again: permanent.
 */
export function sinkErrorOf(kind: string, error: unknown, errorClass: SqlErrorClass): SinkError {
  return new SinkError(`${kind}: ${errorMessage(error)}`, errorClass === 'retryable', { cause: error });
}

/** The classifier's verdict `row`, as the write loop asks it. */
export function rowErrorTest(classify: ClassifyError): (error: unknown) => boolean {
  return (error) => classify(error) === 'row';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `run`, throwing whatever it throws as the sink's error (which says whether a retry may help). */
export function throwingSinkErrors<A extends unknown[], R>(
  run: (...args: A) => Promise<R>,
  sinkError: (error: unknown) => SinkError,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await run(...args);
    } catch (error) {
      throw sinkError(error);
    }
  };
}

/** True when the database answers a trivial statement. */
export async function answers(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch {
    return false;
  }
}
