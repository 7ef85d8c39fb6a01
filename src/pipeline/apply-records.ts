import type { Change } from '../decode/change.js';
import type { DecodedRecord } from '../decode/decode-record.js';
import type { SinkError, Sink } from '../sink/sink.js';
import { translate, type TranslateOptions } from '../translate/translate.js';
import type { TargetTables } from './target-tables.js';

export interface RecordFailure {
  readonly index: number;
  readonly error: string;
}

/** What happened to the records of one delivery. */
export interface DeliveryReport {
  readonly received: number;
  readonly applied: number;
  /** Older than what the table holds, or superseded by a newer change in the same delivery. */
  readonly stale: number;
  /** Already applied (a redelivery). */
  readonly duplicate: number;
  readonly deadLettered: number;
  /** Records with empty data: nothing to apply. */
  readonly empty: number;
  /** Values the database kept aside in applied records (CrateDB); not a count of records. */
  readonly diverted: number;
  readonly failures: readonly RecordFailure[];
  /** Applied changes per target table, for logs. */
  readonly tables: Readonly<Record<string, number>>;
}

export type Operation = 'insert' | 'modify' | 'remove' | 'ttl_remove';
export type RecordOutcome = 'applied' | 'stale' | 'duplicate' | 'dead_lettered';

/** One record's fate, for metrics: where it went, what it did, and the change time it carried. */
export interface RecordFate {
  /** Target table; null when the record could not be decoded. */
  readonly table: string | null;
  readonly operation: Operation | null;
  readonly outcome: RecordOutcome;
  /** ApproximateCreationDateTime in microseconds (0: unknown). */
  readonly version: number;
}

export interface DeliveryDetail {
  readonly report: DeliveryReport;
  /** One per non-empty record, in no particular order. */
  readonly fates: readonly RecordFate[];
  /** Values kept aside, per target table and reason (only those with some). */
  readonly diverted: readonly { readonly table: string; readonly reason: string; readonly n: number }[];
}

export type ApplyResult = ({ ok: true } & DeliveryDetail) | { ok: false; error: SinkError };

/** INSERT/MODIFY/REMOVE, and a REMOVE by DynamoDB's TTL process apart. */
export function operationOf(change: { readonly eventName: string; readonly ttl: boolean }): Operation {
  if (change.eventName === 'REMOVE') return change.ttl ? 'ttl_remove' : 'remove';
  return change.eventName === 'INSERT' ? 'insert' : 'modify';
}

export interface ApplyOptions extends Omit<TranslateOptions, 'targetOf'> {
  /** Claims the target tables of the records' source tables. */
  readonly targets: TargetTables;
}

/** decode results → target tables claimed → translate → sink, and the tally of every record's fate. */
export async function applyRecords(
  records: readonly DecodedRecord[],
  received: number,
  options: ApplyOptions,
  sink: Sink,
): Promise<ApplyResult> {
  const resolved = await options.targets.resolve(records.flatMap((r) => (r.ok ? [r.change.sourceTable] : [])));
  if (!resolved.ok) return resolved;
  const { targetOf } = resolved;
  const { batch, superseded } = translate(records, { ...options, targetOf });
  const written = await sink.write(batch);
  if (!written.ok) return written;

  const fates: RecordFate[] = [];
  const failures: RecordFailure[] = [];
  const tables: Record<string, number> = {};
  const diverted: { table: string; reason: string; n: number }[] = [];
  for (const d of batch.deadLetters) {
    failures.push({ index: d.recordIndex, error: d.error });
    fates.push({ table: null, operation: null, outcome: 'dead_lettered', version: 0 });
  }
  const changeAt = new Map<number, Change>();
  for (const record of records) if (record.ok) changeAt.set(record.index, record.change);
  for (const s of superseded) {
    const change = changeAt.get(s.index)!;
    const target = targetOf(change.sourceTable);
    const table = target.ok ? target.table : null;
    fates.push({ table, operation: operationOf(change), outcome: s.outcome, version: change.version });
  }
  written.tables.forEach((result, t) => {
    const rows = batch.tables[t]!.rows;
    tables[result.table] = 0;
    result.outcomes.forEach((outcome, r) => {
      const row = rows[r]!;
      if (outcome.outcome === 'applied') tables[result.table]!++;
      if (outcome.outcome === 'dead_lettered') failures.push({ index: row.recordIndex, error: outcome.error });
      fates.push({ table: result.table, operation: operationOf(row), outcome: outcome.outcome, version: row.version });
    });
    for (const [reason, n] of Object.entries(result.diverted ?? {})) diverted.push({ table: result.table, reason, n });
  });
  failures.sort((a, b) => a.index - b.index);
  const count = (outcome: RecordOutcome) => fates.filter((f) => f.outcome === outcome).length;
  const report: DeliveryReport = {
    received,
    applied: count('applied'),
    stale: count('stale'),
    duplicate: count('duplicate'),
    deadLettered: failures.length,
    empty: received - records.length,
    diverted: diverted.reduce((sum, d) => sum + d.n, 0),
    failures,
    tables,
  };
  return { ok: true, report, fates, diverted };
}
