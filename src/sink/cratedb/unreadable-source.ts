import { CrateDbHttpError, isUnreadableSource } from './classify-error.js';
import type { BulkResult, CrateDbClient, SqlResult } from './cratedb-client.js';

/**
 * CrateDB 6.4.3 (observed): once an update (an upsert's DO UPDATE, or UPDATE) has written a row
 * holding a name outside the BMP where the mapping does not type it (inside an OBJECT(IGNORED)
 * column, or a null in a dynamic object), every read of that row by key — a lookup, and the next
 * upsert or update of it — fails with 5000 `Invalid UTF-8: Illegal surrogate character`, until the
 * table is refreshed; searches read it fine. A refresh that nobody else triggers may never come
 * (a shard no one searches skips its scheduled refreshes), so the sink refreshes the table and
 * sends those rows once more.
 */
function unreadableAnswer(error: unknown): boolean {
  return error instanceof CrateDbHttpError && isUnreadableSource({ code: error.errorCode, message: error.message });
}

/** A bulk statement; rows failing so are sent again after `refresh` (REFRESH TABLE …), once. */
export async function bulkRefreshingUnreadable(client: CrateDbClient, refresh: string, stmt: string, rows: readonly string[]): Promise<BulkResult> {
  const answer = await client.executeBulk(stmt, rows);
  if (!Array.isArray(answer.results) || answer.results.length !== rows.length) return answer;
  const again = answer.results.flatMap((r, i) => (r.rowcount < 0 && isUnreadableSource(r.error) ? [i] : []));
  if (again.length === 0) return answer;
  await client.execute(refresh);
  const retried = await client.executeBulk(
    stmt,
    again.map((i) => rows[i]!),
  );
  const results = [...answer.results];
  again.forEach((i, n) => {
    if (retried.results?.[n]) results[i] = retried.results[n];
  });
  return { ...answer, results };
}

/** A statement (a lookup by key) that, failing so, is sent again after `refresh`, once. */
export async function executeRefreshingUnreadable(client: CrateDbClient, refresh: string, stmt: string, args: readonly unknown[] = []): Promise<SqlResult> {
  try {
    return await client.execute(stmt, args);
  } catch (error) {
    if (!unreadableAnswer(error)) throw error;
    await client.execute(refresh);
    return client.execute(stmt, args);
  }
}
