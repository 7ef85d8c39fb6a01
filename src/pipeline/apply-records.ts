import type { DecodedRecord } from '../decode/decode-record.js';
import type { SinkError, Sink } from '../sink/sink.js';
import { translate, type TranslateOptions } from '../translate/translate.js';

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
  readonly failures: readonly RecordFailure[];
  /** Applied changes per target table, for logs. */
  readonly tables: Readonly<Record<string, number>>;
}

export type ApplyResult = { ok: true; report: DeliveryReport } | { ok: false; error: SinkError };

/** decode results → translate → sink, and the tally of every record's fate. */
export async function applyRecords(
  records: readonly DecodedRecord[],
  received: number,
  options: TranslateOptions,
  sink: Sink,
): Promise<ApplyResult> {
  const { batch, superseded } = translate(records, options);
  const written = await sink.write(batch);
  if (!written.ok) return written;

  let applied = 0;
  let stale = 0;
  let duplicate = 0;
  const failures: RecordFailure[] = batch.deadLetters.map((d) => ({ index: d.recordIndex, error: d.error }));
  const tables: Record<string, number> = {};
  for (const s of superseded) {
    if (s.outcome === 'stale') stale++;
    else duplicate++;
  }
  written.tables.forEach((result, t) => {
    const rows = batch.tables[t]!.rows;
    let tableApplied = 0;
    result.outcomes.forEach((outcome, r) => {
      if (outcome.outcome === 'applied') tableApplied++;
      else if (outcome.outcome === 'stale') stale++;
      else if (outcome.outcome === 'duplicate') duplicate++;
      else if (outcome.outcome === 'dead_lettered') failures.push({ index: rows[r]!.recordIndex, error: outcome.error });
    });
    applied += tableApplied;
    tables[result.table] = tableApplied;
  });
  failures.sort((a, b) => a.index - b.index);
  return {
    ok: true,
    report: {
      received,
      applied,
      stale,
      duplicate,
      deadLettered: failures.length,
      empty: received - records.length,
      failures,
      tables,
    },
  };
}
