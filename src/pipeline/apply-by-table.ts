import type { Change } from '../decode/change.js';
import type { DecodedRecord } from '../decode/decode-record.js';
import { applyRecords, sourceTables, type ApplyOptions, type DeliveryReport } from './apply-records.js';
import type { Sink, SinkError } from '../sink/sink.js';

export interface TableOutcome {
  /** The target table; null for the group of records that could not be decoded. */
  readonly table: string | null;
  readonly indices: readonly number[];
  readonly result: { ok: true; report: DeliveryReport } | { ok: false; error: SinkError };
}

/**
 * Applies each target table's records as a delivery of its own, so that a table the database
 * cannot write fails only its own records: a Lambda can then report exactly those, while a
 * single write would fail the whole batch. Records that cannot be decoded form one more group
 * (their dead letters).
 */
export async function applyByTable(records: readonly DecodedRecord[], options: ApplyOptions, sink: Sink): Promise<TableOutcome[]> {
  const resolved = await options.targets.resolve(sourceTables(records));
  if (!resolved.ok) return [{ table: null, indices: records.map((r) => r.index), result: resolved }];
  const tableOf = (change: Change) => {
    const target = resolved.targetOf(change.sourceTable);
    return target.ok ? target.table : null;
  };
  const groups = new Map<string | null, DecodedRecord[]>();
  for (const record of records) {
    const table = record.ok ? tableOf(record.change) : null;
    let group = groups.get(table);
    if (!group) groups.set(table, (group = []));
    group.push(record);
  }
  return Promise.all(
    [...groups].map(async ([table, group]) => ({
      table,
      indices: group.map((r) => r.index),
      result: await applyRecords(group, group.length, options, sink),
    })),
  );
}
