import { CHECKPOINT_TABLE, LEASE_TABLE, type CheckpointStore, type ShardCheckpoint } from '../checkpoint-store.js';
import { CrateDbHttpError } from './classify-error.js';
import type { CrateDbClient } from './cratedb-client.js';
import { qualified } from './identifiers.js';

/** The statements of the CrateDB checkpoint store (checked against CrateDB's grammar by a test). */
export function checkpointStatements(schema: string) {
  const leases = qualified(schema, LEASE_TABLE);
  const checkpoints = qualified(schema, CHECKPOINT_TABLE);
  // Taken when free, expired or ours: CrateDB has no WHERE in ON CONFLICT, so each assignment is
  // guarded by the same CASE, and every SET expression sees the stored row: atomic per document.
  const mayTake = '("owner" = excluded."owner" OR "expires_at" < ?)';
  return {
    createLeases: `CREATE TABLE IF NOT EXISTS ${leases} ("stream" TEXT PRIMARY KEY, "owner" TEXT NOT NULL, "expires_at" BIGINT NOT NULL, "acquired_at" BIGINT NOT NULL)`,
    createCheckpoints: `CREATE TABLE IF NOT EXISTS ${checkpoints} ("stream" TEXT, "shard" TEXT, "sequence" TEXT, "finished" BOOLEAN NOT NULL, "updated_at" BIGINT NOT NULL, PRIMARY KEY ("stream", "shard"))`,
    acquire: `INSERT INTO ${leases} ("stream", "owner", "expires_at", "acquired_at") VALUES (?, ?, ?, ?) ON CONFLICT ("stream") DO UPDATE SET
  "acquired_at" = CASE WHEN "owner" = excluded."owner" THEN "acquired_at" WHEN "expires_at" < ? THEN excluded."acquired_at" ELSE "acquired_at" END,
  "expires_at" = CASE WHEN ${mayTake} THEN excluded."expires_at" ELSE "expires_at" END,
  "owner" = CASE WHEN ${mayTake} THEN excluded."owner" ELSE "owner" END`,
    // Reads by the exact primary key are real-time in CrateDB; every other read needs a REFRESH.
    holder: `SELECT "owner", "expires_at" FROM ${leases} WHERE "stream" = ?`,
    // Released by expiring it, by key: a DELETE with another condition than the key is a search,
    // which misses a lease written within the last second (observed on CrateDB 6.4.3).
    release: `INSERT INTO ${leases} ("stream", "owner", "expires_at", "acquired_at") VALUES (?, ?, 0, 0) ON CONFLICT ("stream") DO UPDATE SET
  "expires_at" = CASE WHEN "owner" = excluded."owner" THEN 0 ELSE "expires_at" END`,
    refresh: `REFRESH TABLE ${checkpoints}`,
    load: `SELECT "shard", "sequence", "finished", "updated_at" FROM ${checkpoints} WHERE "stream" = ? ORDER BY "shard"`,
    save: `INSERT INTO ${checkpoints} ("stream", "shard", "sequence", "finished", "updated_at") VALUES (?, ?, ?, ?, ?) ON CONFLICT ("stream", "shard") DO UPDATE SET
  "sequence" = excluded."sequence", "finished" = excluded."finished", "updated_at" = excluded."updated_at"`,
    forget: `DELETE FROM ${checkpoints} WHERE "stream" = ? AND "shard" = ?`,
    reset: `DELETE FROM ${checkpoints} WHERE "stream" = ?`,
  };
}

/**
 * Checkpoints and leases in CrateDB. Times are this host's clock (epoch ms): run consumers on
 * hosts with synchronized clocks. CrateDB has no transactions: a checkpoint is saved after a
 * real-time read of the lease confirms that it is still ours, so a consumer whose lease was taken
 * over stops at its next checkpoint at the latest.
 */
export class CrateDbCheckpointStore implements CheckpointStore {
  private readonly sql: ReturnType<typeof checkpointStatements>;

  constructor(
    private readonly client: CrateDbClient,
    schema: string,
    private readonly now: () => number = Date.now,
  ) {
    this.sql = checkpointStatements(schema);
  }

  async init(): Promise<void> {
    await this.client.execute(this.sql.createLeases);
    await this.client.execute(this.sql.createCheckpoints);
  }

  async acquire(stream: string, owner: string, ttlMs: number): Promise<{ held: boolean; holder: string | null }> {
    const now = this.now();
    await this.client.execute(this.sql.acquire, [stream, owner, now + ttlMs, now, now, now, now]);
    const holder = await this.holder(stream);
    return { held: holder?.owner === owner, holder: holder?.owner ?? null };
  }

  async release(stream: string, owner: string): Promise<void> {
    await this.client.execute(this.sql.release, [stream, owner]);
  }

  async load(stream: string): Promise<ShardCheckpoint[]> {
    await this.client.execute(this.sql.refresh);
    const { rows } = await this.client.execute(this.sql.load, [stream]);
    return rows.map(([shard, sequence, finished, updatedAt]) => ({
      shard: String(shard),
      sequence: sequence === null ? null : String(sequence),
      finished: finished === true,
      updatedAt: new Date(Number(updatedAt)),
    }));
  }

  async save(stream: string, owner: string, checkpoint: { shard: string; sequence: string | null; finished: boolean }): Promise<boolean> {
    const holder = await this.holder(stream);
    if (holder?.owner !== owner || holder.expiresAt <= this.now()) return false;
    await this.client.execute(this.sql.save, [stream, checkpoint.shard, checkpoint.sequence, checkpoint.finished, this.now()]);
    return true;
  }

  async forget(stream: string, shards: readonly string[]): Promise<void> {
    await this.client.execute(this.sql.refresh);
    for (const shard of shards) await this.client.execute(this.sql.forget, [stream, shard]);
  }

  async reset(stream: string): Promise<void> {
    await this.client.execute(this.sql.refresh);
    await this.client.execute(this.sql.reset, [stream]);
  }

  private async holder(stream: string): Promise<{ owner: string; expiresAt: number } | null> {
    try {
      const { rows } = await this.client.execute(this.sql.holder, [stream]);
      const row = rows[0];
      return row ? { owner: String(row[0]), expiresAt: Number(row[1]) } : null;
    } catch (error) {
      if (error instanceof CrateDbHttpError && error.errorCode === 4041) return null;
      throw error;
    }
  }
}
