/**
 * The version a backfill run writes its items at.
 *
 * Stream changes carry ApproximateCreationDateTime in microseconds (about 1.7e15 today; 0 for a
 * Streams record without a timestamp), so every stream version is ≥ 0. A backfill writes what it
 * read at some moment it cannot name precisely, so it must lose against every stream change of
 * the item, before or after: its version is the run's start in microseconds shifted below zero by
 * 2^53 − 1. Then
 * - a stream change (version ≥ 0) always wins, whichever reaches the database first, and a
 *   tombstone (which keeps its stream version) is never overwritten by a backfilled item;
 * - a later run (later start) replaces what an earlier run wrote, and a resumed run keeps its
 *   start, so a page written twice is a duplicate, not a new change;
 * - the value stays a safe integer (versions travel as JS numbers) until the year 2255.
 */
export const BACKFILL_VERSION_OFFSET = Number.MAX_SAFE_INTEGER;

export function backfillVersion(runStartMicros: number): number {
  if (!Number.isSafeInteger(runStartMicros) || runStartMicros <= 0 || runStartMicros >= BACKFILL_VERSION_OFFSET) {
    throw new RangeError(`run start ${runStartMicros} is not a time in microseconds`);
  }
  return runStartMicros - BACKFILL_VERSION_OFFSET;
}

/** The run's start again, from a stored version (for people reading the table). */
export function backfillStartMicros(version: number): number | null {
  return version < 0 ? version + BACKFILL_VERSION_OFFSET : null;
}
