import type { ColumnSpec } from '../config/column-map.js';
import type { RecordOutcome } from '../outcome/outcomes.js';
import type { TypedColumns } from '../translate/typed-columns.js';
import type { WriteBatch } from '../translate/write-batch.js';

/** The fate of one row of a table write, aligned with `TableWrite.rows`. */
export type RowOutcome = { readonly outcome: Exclude<RecordOutcome, 'dead_lettered'> } | { readonly outcome: 'dead_lettered'; readonly error: string };

export interface TableResult {
  readonly table: string;
  readonly outcomes: readonly RowOutcome[];
  /**
   * Values kept aside because the database could not store them where the item has them, by
   * reason (`invalid_key`, `type_conflict`, …; README, "CrateDB").
   */
  readonly diverted?: Readonly<Record<string, number>>;
}

export type SinkWriteResult = { readonly ok: true; readonly tables: readonly TableResult[] } | { readonly ok: false; readonly error: SinkError };

export interface StoredVersion {
  readonly pk: string;
  readonly version: number;
}

/** Who holds a set of names after a claim: `null` when the claimant does (README, "The tables"). */
export type ClaimResult = { readonly ok: true; readonly heldBy: string | null } | { readonly ok: false; readonly error: SinkError };

/** What every database sink implements; http, decode and translate know nothing more of it. */
export interface Sink {
  /** `postgres`, `pglite`, `cratedb`: for logs and /readyz. */
  readonly kind: string;
  /** Writes idempotently: the same batch twice, or an older change after a newer one, changes nothing. */
  write(batch: WriteBatch): Promise<SinkWriteResult>;
  /**
   * Claims target names (a table and its change log) for `sourceTable`, atomically and for good,
   * in the database, so that every instance, before and after restarts, agrees which DynamoDB
   * table a name holds. Answers who holds them now, described for a person (`DynamoDB table
   * "Customers"`, `an index`); null when `sourceTable` does. A table already holding rows of a
   * source table (written by an earlier version) belongs to that source table; a name taken by
   * anything the sink did not create is held by it. Optional while a sink lacks it: the pipeline
   * then keeps the claims in the process only.
   */
  claimNames?(names: readonly string[], sourceTable: string): Promise<ClaimResult>;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  /** Deletes tombstones whose version is below `version`; returns how many. */
  purgeTombstones(version: number): Promise<number>;
  /**
   * The live rows of `table` that came from `sourceTable` at a version below `version` (a
   * backfill prunes those its complete run no longer saw). None when the table does not exist.
   */
  liveRowsBelow(table: string, sourceTable: string, version: number): Promise<StoredVersion[]>;
  /**
   * Prepares recomputing COLUMN_MAP's columns of the rows stored in `table` (npm run
   * rematerialize): adds the columns it lacks; null when there is no such table. Optional while a
   * sink lacks it.
   */
  rewriteColumns?(table: string, columns: readonly ColumnSpec[]): Promise<ColumnRewrite | null>;
  close(): Promise<void>;
}

/** A stored row as it was read, for recomputing its typed columns. */
export interface StoredItem {
  readonly pk: string;
  /** Exact JSON text: the item; a tombstone's (or keys-only insert's) key attributes, as translate writes them. */
  readonly item: string;
  /** What the row was when read, in the sink's terms: a write goes ahead only while it still is. */
  readonly seen: string;
}

export interface StoredItemsPage {
  readonly rows: readonly StoredItem[];
  /** Where the next page starts (for `page`); null after the last. */
  readonly next: string | null;
}

/** The typed columns of one table's stored rows, read in pages and written back compare-and-set. */
export interface ColumnRewrite {
  /** About how many rows the table holds now. */
  readonly estimatedRows: number;
  /** Up to `limit` rows, in the table's key order, from `after` (a page's `next`; null: the first). */
  page(after: string | null, limit: number): Promise<StoredItemsPage>;
  /** The rows of these keys as they are now (gone ones are absent). */
  reread(pks: readonly string[]): Promise<StoredItem[]>;
  /**
   * Writes each row's columns only where the row is still as read: a row changed meanwhile was
   * written by the stream, which the version gate serializes with this write.
   */
  write(rows: readonly { readonly stored: StoredItem; readonly columns: TypedColumns }[]): Promise<ColumnWriteResult>;
}

export interface ColumnWriteResult {
  /** Per row: written, or not (changed or gone since it was read). */
  readonly written: readonly boolean[];
  /** Values converted that the database cannot store exactly, in written rows: NULL (CrateDB; README, "Columns"). */
  readonly unstorable: number;
}

/** A write that did not happen. `retryable` trouble (connection, overload) is worth retrying soon. */
export class SinkError extends Error {
  readonly code: 'SINK_UNAVAILABLE' | 'SINK_FAILED';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SinkError';
    this.code = retryable ? 'SINK_UNAVAILABLE' : 'SINK_FAILED';
  }
}
