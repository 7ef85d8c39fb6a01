import type { Change } from '../decode/change.js';
import type { DecodedRecord } from '../decode/decode-record.js';
import { operationOf, type RecordFate } from '../outcome/outcomes.js';
import type { ColumnSpec } from '../config/column-map.js';
import { collapsePerKey, type IndexedChange } from './collapse-per-key.js';
import { typedColumns } from './typed-columns.js';
import type { TargetOf } from './target-name.js';
import type { ChangeLogRow, DeadLetter, RowWrite, TableWrite, WriteBatch } from './write-batch.js';

export interface TranslateOptions {
  readonly requestId: string;
  /** Where the records came from, kept with dead letters (`firehose`, `records`, …). */
  readonly source: string;
  readonly changeLog: boolean;
  /** The target table of each source table of the records (claimed beforehand: pipeline/target-tables.ts). */
  readonly targetOf: TargetOf;
}

/** A record whose fate translate decides: dead-lettered (with the reason), or superseded inside its delivery. */
export interface SettledRecord {
  readonly index: number;
  readonly fate: RecordFate;
  /** Why it was dead-lettered. */
  readonly error?: string;
}

export interface Translated {
  readonly batch: WriteBatch;
  /** Every record settled before the sink, in no particular order; the others are the batch's rows. */
  readonly settled: readonly SettledRecord[];
}

/** Decoded records → one write per target table (collapsed per key) plus the dead letters. */
export function translate(records: readonly DecodedRecord[], options: TranslateOptions): Translated {
  const changes: IndexedChange[] = [];
  const deadLetters: DeadLetter[] = [];
  const targets = new Map<string, string>();
  const columnsOf = new Map<string, readonly ColumnSpec[]>();
  for (const record of records) {
    if (!record.ok) {
      deadLetters.push(deadLetter(record, options));
      continue;
    }
    const { sourceTable } = record.change;
    const target = options.targetOf(sourceTable);
    if (target.ok) {
      targets.set(sourceTable, target.table);
      if (target.columns?.length) columnsOf.set(target.table, target.columns);
      changes.push(record); // already an { index, change }
    } else {
      deadLetters.push(refusedTable(record.index, record.change, target.error, options));
    }
  }
  const targetOf = (change: Change) => targets.get(change.sourceTable)!;
  const { winners, superseded } = collapsePerKey(changes, targetOf);
  const settled: SettledRecord[] = deadLetters.map((d) => ({
    index: d.recordIndex,
    fate: { table: null, operation: null, outcome: 'dead_lettered', version: 0 },
    error: d.error,
  }));
  for (const { index, change, outcome } of superseded) {
    settled.push({ index, fate: { table: targetOf(change), operation: operationOf(change), outcome, version: change.version } });
  }

  const byTable = new Map<string, { rows: RowWrite[]; changes: ChangeLogRow[] }>();
  const tableFor = (name: string) => {
    let entry = byTable.get(name);
    if (!entry) byTable.set(name, (entry = { rows: [], changes: [] }));
    return entry;
  };
  for (const { index, change } of winners) {
    const table = targetOf(change);
    tableFor(table).rows.push(toRow(index, change, columnsOf.get(table)));
  }
  if (options.changeLog) {
    const seen = new Set<string>();
    for (const { index, change } of changes) {
      const target = targetOf(change);
      const slot = `${target}\u0000${change.eventId}`;
      if (seen.has(slot)) continue;
      seen.add(slot);
      tableFor(target).changes.push(toChangeLogRow(index, change));
    }
  }
  const tables: TableWrite[] = [...byTable].map(([table, entry]) => ({ table, columns: columnsOf.get(table) ?? [], rows: entry.rows, changes: entry.changes }));
  return { batch: { requestId: options.requestId, tables, deadLetters }, settled };
}

function toRow(recordIndex: number, change: Change, columns: readonly ColumnSpec[] | undefined): RowWrite {
  const deleted = change.eventName === 'REMOVE';
  const image = deleted ? null : change.newImageJson;
  const data = image ?? change.keysJson;
  // A tombstone's columns come from its key; a keys-only change keeps the stored ones (as its item).
  const typed = columns === undefined ? undefined : typedColumns(columns, data);
  const row: RowWrite = {
    recordIndex,
    pk: change.pk,
    data,
    deleted,
    version: change.version,
    sequence: change.sequence,
    eventId: change.eventId,
    eventName: change.eventName,
    ttl: change.ttl,
    keysOnly: !deleted && image === null,
    sourceTable: change.sourceTable,
  };
  // Not spread into the literal: a literal with a spread is built property by property.
  return typed === undefined ? row : { ...row, columns: typed };
}

function toChangeLogRow(recordIndex: number, change: Change): ChangeLogRow {
  return {
    recordIndex,
    eventId: change.eventId,
    pk: change.pk,
    eventName: change.eventName,
    version: change.version,
    sequence: change.sequence,
    ttl: change.ttl,
    newImage: change.newImageJson,
    oldImage: change.oldImageJson,
    sourceTable: change.sourceTable,
  };
}

/** A record whose source table has no target it may be written to (README, "The tables"). */
function refusedTable(recordIndex: number, change: Change, error: string, options: TranslateOptions): DeadLetter {
  return { requestId: options.requestId, recordIndex, source: options.source, sourceTable: change.sourceTable, payload: JSON.stringify(change), error };
}

function deadLetter(record: Extract<DecodedRecord, { ok: false }>, options: TranslateOptions): DeadLetter {
  return {
    requestId: options.requestId,
    recordIndex: record.index,
    source: options.source,
    sourceTable: null,
    payload: record.payload,
    error: record.error,
  };
}
