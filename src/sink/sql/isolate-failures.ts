/**
 * Writes rows in one statement; when the database refuses the statement because of some row's
 * data, splits the rows in halves and retries each, until the rows that fail alone are known.
 * A refusal that is not about data (connection, schema) is thrown: nothing is dead-lettered for it.
 * At most 2n-1 statements for n rows.
 */
export async function writeIsolatingFailures<Row, Result>(
  rows: readonly Row[],
  write: (rows: readonly Row[]) => Promise<Result[]>,
  isRowError: (error: unknown) => boolean,
  failed: (row: Row, error: unknown) => Result | Promise<Result>,
): Promise<Result[]> {
  if (rows.length === 0) return [];
  try {
    return await write(rows);
  } catch (error) {
    if (!isRowError(error)) throw error;
    if (rows.length === 1) return [await failed(rows[0]!, error)];
    const half = Math.ceil(rows.length / 2);
    const first = await writeIsolatingFailures(rows.slice(0, half), write, isRowError, failed);
    const second = await writeIsolatingFailures(rows.slice(half), write, isRowError, failed);
    return [...first, ...second];
  }
}
