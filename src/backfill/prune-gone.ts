import type { Sink } from '../sink/sink.js';
import type { TargetTables } from '../pipeline/target-tables.js';
import type { RowWrite, WriteBatch } from '../translate/write-batch.js';

export interface PruneOptions {
  readonly sink: Sink;
  /** The DynamoDB table the run copied. */
  readonly table: string;
  readonly targets: TargetTables;
  /** The version of a complete backfill run. */
  readonly version: number;
}

export type PruneResult = { ok: true; pruned: number; kept: number } | { ok: false; error: Error };

/**
 * After a complete run, the live rows of its table still below its version are items that were
 * deleted before the stream was on: no scan could see them go, no stream record will tell. Each
 * becomes a tombstone at its own version, written through the version gate like any change, so a
 * stream change that lands meanwhile (any stream version is higher) wins and keeps its item.
 * The tombstone's event id sorts above the backfill's (`prune:` > `backfill:`), so that the gate
 * takes it over the row of the same version.
 */
export async function pruneGone(options: PruneOptions): Promise<PruneResult> {
  try {
    const resolved = await options.targets.resolve([options.table]);
    if (!resolved.ok) return { ok: false, error: resolved.error };
    const found = resolved.targetOf(options.table);
    if (!found.ok) return { ok: false, error: new Error(found.error) };
    const target = found.table;
    const gone = await options.sink.liveRowsBelow(target, options.table, options.version);
    if (gone.length === 0) return { ok: true, pruned: 0, kept: 0 };
    const eventId = `prune:${options.version}`;
    const rows = gone.map(
      ({ pk, version }, recordIndex): RowWrite => ({
        recordIndex,
        pk,
        // A tombstone holds the key attributes; pk is exactly their JSON object.
        data: pk,
        deleted: true,
        version,
        sequence: null,
        eventId,
        eventName: 'REMOVE',
        ttl: false,
        keysOnly: false,
        sourceTable: options.table,
      }),
    );
    const batch: WriteBatch = { requestId: eventId, tables: [{ table: target, columns: [], rows, changes: [] }], deadLetters: [] };
    const written = await options.sink.write(batch);
    if (!written.ok) return { ok: false, error: written.error };
    const pruned = written.tables[0]!.outcomes.filter((o) => o.outcome === 'applied').length;
    return { ok: true, pruned, kept: gone.length - pruned };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)) };
  }
}
