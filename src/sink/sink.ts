import type { RecordOutcome } from '../outcome/outcomes.js';
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
  close(): Promise<void>;
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
