/** How far halving goes, and what settles the rows once it has gone that far. */
export interface IsolationOptions<Row, Result> {
  /** Failed statements of several rows allowed before halving stops (default: enough to isolate two rows). */
  readonly maxFailedSplits?: number;
  /**
   * Writes each row on its own and settles every one, written or refused (PostgreSQL: one
   * statement, a savepoint per row); by default, one statement per row, each refused one `failed`.
   */
  readonly writeEach?: (rows: readonly Row[]) => Promise<Result[]>;
}

/**
 * Writes rows in one statement; when the database refuses the statement because of some row's
 * data, splits the rows in halves and retries each, until the rows that fail alone are known.
 * A refusal that is not about data (connection, schema) is thrown: nothing is dead-lettered for it.
 *
 * Halving is cheap for a few refused rows (about 2·log2(n) statements each) but not for many:
 * every level re-sends every row, so 10,000 refused rows cost 20,000 ever larger statements (100 s
 * on PostgreSQL, past the delivery deadline). So halving has a budget of failed statements; past
 * it, each part that still fails goes to `writeEach`. Without `writeEach`: at most 2·budget + n
 * statements for n rows, the rows sent adding up to about budget·n/2 + n instead of n·log2(n).
 */
export async function writeIsolatingFailures<Row, Result>(
  rows: readonly Row[],
  write: (rows: readonly Row[]) => Promise<Result[]>,
  isRowError: (error: unknown) => boolean,
  failed: (row: Row, error: unknown) => Result | Promise<Result>,
  options: IsolationOptions<Row, Result> = {},
): Promise<Result[]> {
  const budget = options.maxFailedSplits ?? defaultSplitBudget(rows.length);
  let splits = 0;
  const oneByOne = async (part: readonly Row[]): Promise<Result[]> => {
    const results: Result[] = [];
    for (const row of part) results.push(...(await attempt([row])));
    return results;
  };
  const writeEach = options.writeEach ?? oneByOne;
  const attempt = async (part: readonly Row[]): Promise<Result[]> => {
    if (part.length === 0) return [];
    try {
      return await write(part);
    } catch (error) {
      if (!isRowError(error)) throw error;
      if (part.length === 1) return [await failed(part[0]!, error)];
      if (++splits > budget) return writeEach(part);
      const half = Math.ceil(part.length / 2);
      return [...(await attempt(part.slice(0, half))), ...(await attempt(part.slice(half)))];
    }
  };
  return attempt(rows);
}

/** Enough failed splits to isolate two refused rows among n by halving. */
export function defaultSplitBudget(n: number): number {
  return 2 * Math.ceil(Math.log2(Math.max(2, n)));
}
