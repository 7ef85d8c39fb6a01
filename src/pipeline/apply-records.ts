import type { DecodedRecord } from '../decode/decode-record.js';
import { operationOf, tallyOf, type OutcomeTally, type RecordFate } from '../outcome/outcomes.js';
import type { SinkError, Sink } from '../sink/sink.js';
import { translate, type TranslateOptions } from '../translate/translate.js';
import type { TargetTables } from './target-tables.js';

export interface RecordFailure {
  readonly index: number;
  readonly error: string;
}

/** What happened to the records of one delivery: each counted once by outcome (`stale` includes records superseded in the delivery). */
export interface DeliveryReport extends Readonly<OutcomeTally> {
  readonly received: number;
  /** Records with empty data: nothing to apply. */
  readonly empty: number;
  /** Values the database kept aside in applied records (CrateDB); not a count of records. */
  readonly diverted: number;
  readonly failures: readonly RecordFailure[];
  /** Applied changes per target table, for logs. */
  readonly tables: Readonly<Record<string, number>>;
}

export interface DeliveryDetail {
  readonly report: DeliveryReport;
  /** One per non-empty record, in no particular order. */
  readonly fates: readonly RecordFate[];
  /** Values kept aside, per target table and reason (only those with some). */
  readonly diverted: readonly { readonly table: string; readonly reason: string; readonly n: number }[];
}

export type ApplyResult = ({ ok: true } & DeliveryDetail) | { ok: false; error: SinkError };

export interface ApplyOptions extends Omit<TranslateOptions, 'targetOf'> {
  /** Claims the target tables of the records' source tables. */
  readonly targets: TargetTables;
}

/** The source tables of the records decoded: a delivery's records mostly name one, looked up once a run. */
export function sourceTables(records: readonly DecodedRecord[]): Set<string> {
  const tables = new Set<string>();
  let last: string | undefined;
  for (const record of records) {
    if (!record.ok || record.change.sourceTable === last) continue;
    last = record.change.sourceTable;
    tables.add(last);
  }
  return tables;
}

/** decode results → target tables claimed → translate → sink, and the tally of every record's fate. */
export async function applyRecords(records: readonly DecodedRecord[], received: number, options: ApplyOptions, sink: Sink): Promise<ApplyResult> {
  const resolved = await options.targets.resolve(sourceTables(records));
  if (!resolved.ok) return resolved;
  const { targetOf } = resolved;
  const { batch, settled } = translate(records, { ...options, targetOf });
  const written = await sink.write(batch);
  if (!written.ok) return written;

  const fates: RecordFate[] = [];
  const failures: RecordFailure[] = [];
  const tables: Record<string, number> = {};
  const diverted: { table: string; reason: string; n: number }[] = [];
  for (const s of settled) {
    if (s.error !== undefined) failures.push({ index: s.index, error: s.error });
    fates.push(s.fate);
  }
  written.tables.forEach((result, t) => {
    const rows = batch.tables[t]!.rows;
    tables[result.table] = 0;
    let unconverted = 0;
    result.outcomes.forEach((outcome, r) => {
      const row = rows[r]!;
      if (outcome.outcome === 'applied') {
        tables[result.table]!++;
        unconverted += row.columns?.unconverted ?? 0;
      }
      if (outcome.outcome === 'dead_lettered') failures.push({ index: row.recordIndex, error: outcome.error });
      fates.push({ table: result.table, operation: operationOf(row), outcome: outcome.outcome, version: row.version });
    });
    for (const [reason, n] of Object.entries(result.diverted ?? {})) diverted.push({ table: result.table, reason, n });
    // A typed column's value that did not convert: the column is NULL, the item holds the value.
    if (unconverted > 0) diverted.push({ table: result.table, reason: 'column_type', n: unconverted });
  });
  failures.sort((a, b) => a.index - b.index);
  const report: DeliveryReport = {
    received,
    ...tallyOf(fates),
    empty: received - records.length,
    diverted: diverted.reduce((sum, d) => sum + d.n, 0),
    failures,
    tables,
  };
  return { ok: true, report, fates, diverted };
}
