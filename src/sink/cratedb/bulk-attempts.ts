import { bulkRowError, classifyCrateDbError, CrateDbHttpError } from './classify-error.js';
import type { BulkResult } from './cratedb-client.js';

/** One row's fate in a bulk request: written, or refused for its data. */
export type Attempt = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

const WRITTEN: Attempt = { ok: true };
export const DUPLICATE_KEY = 4091;

/**
 * Bulk results → one attempt per row. A -2 row with a 5xxx error (a shard unavailable, a
 * breaker) is trouble worth retrying, not the row's fault: the whole write fails so that
 * Firehose retries. `duplicateStored`: a duplicate key (ON CONFLICT DO NOTHING) is already stored.
 */
export function bulkAttempts({ results }: BulkResult, expected: number, duplicateStored = true): Attempt[] {
  if (!Array.isArray(results) || results.length !== expected) {
    throw new CrateDbHttpError(500, null, `bulk request answered ${Array.isArray(results) ? results.length : 'no'} results for ${expected} rows`);
  }
  return results.map((result): Attempt => {
    if (result.rowcount >= 0 || (duplicateStored && result.error?.code === DUPLICATE_KEY)) return WRITTEN;
    const error = bulkRowError(result.error);
    if (classifyCrateDbError(error) === 'retryable') throw error;
    return { ok: false, error };
  });
}

/** One row written on its own: a refusal of its data is its attempt; other trouble is thrown. */
export async function attemptAlone(write: () => Promise<Attempt[]>, isRowError: (error: unknown) => boolean): Promise<Attempt> {
  try {
    return (await write())[0]!;
  } catch (error) {
    if (isRowError(error)) return { ok: false, error };
    throw error;
  }
}
