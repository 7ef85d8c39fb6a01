/**
 * Where the stream consumers (`npm run consume`) keep their place: one checkpoint per stream and
 * shard, and one lease per stream, in the target database itself, so that a checkpoint is never
 * ahead of the rows it vouches for and needs no other storage. Database specifics live in
 * sink/postgres/checkpoint-store.ts and sink/cratedb/checkpoint-store.ts.
 */
export interface ShardCheckpoint {
  readonly shard: string;
  /** The sequence number of the last record written; null: none yet (the shard was empty). */
  readonly sequence: string | null;
  /** The shard is closed and every record of it was written. */
  readonly finished: boolean;
  /** When the consumer last wrote or confirmed this checkpoint (the database's clock). */
  readonly updatedAt: Date;
}

export interface CheckpointStore {
  /** Creates the tables when missing; safe to call again. */
  init(): Promise<void>;
  /**
   * Takes or renews the stream's lease for `ttlMs`: succeeds when nobody holds it, when its
   * holder let it expire, or when `owner` holds it already. Returns the holder afterwards.
   */
  acquire(stream: string, owner: string, ttlMs: number): Promise<{ held: boolean; holder: string | null }>;
  /** Gives the lease up at once (a graceful stop), when `owner` holds it. */
  release(stream: string, owner: string): Promise<void>;
  load(stream: string): Promise<ShardCheckpoint[]>;
  /**
   * Writes the checkpoint, only while `owner` holds an unexpired lease on the stream; false when it
   * does not (another consumer took over: stop at once).
   */
  save(stream: string, owner: string, checkpoint: { shard: string; sequence: string | null; finished: boolean }): Promise<boolean>;
  /** Drops the checkpoints of these shards (closed, finished, and no longer in the stream). */
  forget(stream: string, shards: readonly string[]): Promise<void>;
  /** Drops every checkpoint of the stream (`--reset`). */
  reset(stream: string): Promise<void>;
}

// The names live with the other internal tables, which no source table may be given.
export { CHECKPOINT_TABLE, LEASE_TABLE } from '../translate/target-name.js';
