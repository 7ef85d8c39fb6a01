import { CHECKPOINT_TABLE, LEASE_TABLE, type CheckpointStore, type ShardCheckpoint } from '../checkpoint-store.js';
import { CREATE_RACE_CODES, sqlState } from './classify-error.js';
import { qualified, quoteIdent } from './identifiers.js';
import type { SqlExecutor } from './sql-executor.js';

/**
 * Checkpoints and leases in PostgreSQL (server or PGlite). Expiry is judged by the database's
 * clock (`now()`), so consumers on hosts whose clocks differ still agree; a checkpoint is written
 * in the same statement that checks the lease, so a consumer that lost its lease cannot move it.
 */
export class PostgresCheckpointStore implements CheckpointStore {
  private readonly checkpoints: string;
  private readonly leases: string;

  constructor(
    private readonly db: SqlExecutor,
    private readonly schema: string,
  ) {
    this.checkpoints = qualified(schema, CHECKPOINT_TABLE);
    this.leases = qualified(schema, LEASE_TABLE);
  }

  async init(): Promise<void> {
    for (const stmt of [
      `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`,
      `CREATE TABLE IF NOT EXISTS ${this.leases} (stream text PRIMARY KEY, owner text NOT NULL, expires_at timestamptz NOT NULL, acquired_at timestamptz NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${this.checkpoints} (stream text NOT NULL, shard text NOT NULL, sequence text, finished boolean NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (stream, shard))`,
    ]) {
      try {
        await this.db.query(stmt);
      } catch (error) {
        // Two consumers starting at once race to create the same table: the loser's is there.
        if (!CREATE_RACE_CODES.has(sqlState(error) ?? '')) throw error;
      }
    }
  }

  async acquire(stream: string, owner: string, ttlMs: number): Promise<{ held: boolean; holder: string | null }> {
    const rows = await this.db.query<{ owner: string }>(
      `INSERT INTO ${this.leases} AS l (stream, owner, expires_at, acquired_at)
       VALUES ($1, $2, now() + $3 * interval '1 millisecond', now())
       ON CONFLICT (stream) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
         acquired_at = CASE WHEN l.owner = excluded.owner THEN l.acquired_at ELSE excluded.acquired_at END
       WHERE l.owner = excluded.owner OR l.expires_at < now()
       RETURNING owner`,
      [stream, owner, ttlMs],
    );
    if (rows.length > 0) return { held: true, holder: owner };
    const [current] = await this.db.query<{ owner: string }>(`SELECT owner FROM ${this.leases} WHERE stream = $1`, [stream]);
    return { held: false, holder: current?.owner ?? null };
  }

  async release(stream: string, owner: string): Promise<void> {
    await this.db.query(`DELETE FROM ${this.leases} WHERE stream = $1 AND owner = $2`, [stream, owner]);
  }

  async load(stream: string): Promise<ShardCheckpoint[]> {
    const rows = await this.db.query<{ shard: string; sequence: string | null; finished: boolean; updated_at: Date | string }>(
      `SELECT shard, sequence, finished, updated_at FROM ${this.checkpoints} WHERE stream = $1 ORDER BY shard`,
      [stream],
    );
    return rows.map((r) => ({ shard: r.shard, sequence: r.sequence, finished: r.finished, updatedAt: new Date(r.updated_at) }));
  }

  async save(stream: string, owner: string, checkpoint: { shard: string; sequence: string | null; finished: boolean }): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO ${this.checkpoints} (stream, shard, sequence, finished, updated_at)
       SELECT $1, $2, $3, $4, now() WHERE EXISTS (SELECT 1 FROM ${this.leases} WHERE stream = $1 AND owner = $5 AND expires_at > now())
       ON CONFLICT (stream, shard) DO UPDATE SET sequence = excluded.sequence, finished = excluded.finished, updated_at = excluded.updated_at
       RETURNING shard`,
      [stream, checkpoint.shard, checkpoint.sequence, checkpoint.finished, owner],
    );
    return rows.length > 0;
  }

  async forget(stream: string, shards: readonly string[]): Promise<void> {
    if (shards.length > 0) await this.db.query(`DELETE FROM ${this.checkpoints} WHERE stream = $1 AND shard = ANY($2)`, [stream, [...shards]]);
  }

  async reset(stream: string): Promise<void> {
    await this.db.query(`DELETE FROM ${this.checkpoints} WHERE stream = $1`, [stream]);
  }
}
