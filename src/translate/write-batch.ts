import type { ColumnSpec } from '../config/column-map.js';
import type { TypedColumns } from './typed-columns.js';
/** What the translate step hands to a sink: plain data, independent of any database. */

export interface RowWrite {
  /** Index of the record (in its delivery) that this row comes from. */
  readonly recordIndex: number;
  readonly pk: string;
  /** JSON object text: the item, or for a tombstone or a keys-only change, its key attributes. */
  readonly data: string;
  readonly deleted: boolean;
  readonly version: number;
  readonly sequence: string | null;
  readonly eventId: string;
  readonly eventName: string;
  readonly ttl: boolean;
  /** The change carried no new image (KEYS_ONLY/OLD_IMAGE streams): keep the stored item. */
  readonly keysOnly: boolean;
  readonly sourceTable: string;
  /** The table's typed columns (TableWrite.columns), in their order; absent without any. */
  readonly columns?: TypedColumns;
}

export interface ChangeLogRow {
  readonly recordIndex: number;
  readonly eventId: string;
  readonly pk: string;
  readonly eventName: string;
  readonly version: number;
  readonly sequence: string | null;
  readonly ttl: boolean;
  readonly newImage: string | null;
  readonly oldImage: string | null;
  readonly sourceTable: string;
}

export interface TableWrite {
  readonly table: string;
  /** Typed columns computed from each row's item (COLUMN_MAP); empty without any. */
  readonly columns: readonly ColumnSpec[];
  /** At most one row per pk: collapsed to the newest change. */
  readonly rows: readonly RowWrite[];
  /** Every distinct change, for the `<table>_changes` log; empty when the log is off. */
  readonly changes: readonly ChangeLogRow[];
}

export interface DeadLetter {
  readonly requestId: string;
  readonly recordIndex: number;
  readonly source: string;
  readonly sourceTable: string | null;
  readonly payload: string;
  readonly error: string;
}

export interface WriteBatch {
  readonly requestId: string;
  readonly tables: readonly TableWrite[];
  readonly deadLetters: readonly DeadLetter[];
}
