import type { ColumnSpec } from '../../config/column-map.js';
import type { DeadLetter, RowWrite, TableWrite } from '../../translate/write-batch.js';
import type { RowOutcome } from '../sink.js';
import { chunkRows } from '../sql/chunk-rows.js';
import { rowDeadLetter } from '../sql/dead-letters.js';
import { writeIsolatingFailures } from '../sql/isolate-failures.js';
import { errorMessage, rowErrorTest } from '../sql/sink-errors.js';
import { classifyCrateDbError, DOCUMENT_MISSING } from './classify-error.js';
import type { CrateDbClient } from './cratedb-client.js';
import { columnTypesFrom } from './column-types.js';
import { keyColumnsOf, projectCodecAllToAux, projectCodecItem, type CodecProjection, type CodecResult, type KeyColumn } from './commons-codec-layout.js';
import * as codec from './commons-codec-statements.js';
import { attemptAlone, bulkAttempts, type Attempt } from './bulk-attempts.js';
import { quoteLiteral } from './identifiers.js';
import { INVALID_KEY, parseItem, type ColumnTypes } from './project-item.js';
import * as sql from './statements.js';
import { crateColumnValues } from './typed-columns.js';
import { bulkRefreshingUnreadable, executeRefreshingUnreadable } from './unreadable-source.js';
import { paddedSeq } from './version-gate.js';

export interface CommonsCodecOptions {
  readonly schema: string;
  readonly tableSettings: sql.TableSettings;
  readonly maxRowsPerStatement: number;
  readonly maxBytesPerStatement: number;
  readonly maxDataColumns: number;
}

/** What the sink lends: its registry of ensured tables, and its CREATE TABLE that waits for the shards. */
export interface CommonsCodecDeps {
  readonly ensure: (key: string, create: () => Promise<unknown>) => Promise<void>;
  /** Runs a statement; when its table was dropped meanwhile (4041), creates it again and runs it once more. */
  readonly recreateOnMissing: <T>(key: string, create: () => Promise<unknown>, run: () => Promise<T>) => Promise<T>;
  readonly createTable: (statement: string, table: string) => Promise<void>;
}

/** One item's wanted state in the user table: what the state table holds for its key. */
interface Target {
  /** The delivery's row of this key: for dead letters and outcomes. */
  readonly row: RowWrite;
  readonly index: number;
  readonly deleted: boolean;
  readonly version: number;
  readonly seq: string;
  readonly eventId: string;
  /** The item (or, deleted, its key attributes), parsed losslessly. */
  readonly item: Record<string, unknown>;
  /** COLUMN_MAP's values as JSON texts, in the map's order. */
  readonly typed: readonly string[];
  projection?: CodecProjection;
}

const ROW_OVERHEAD_BYTES = 512;
/** Rounds of re-reading the state after projecting; other writers that move it on later reconcile it themselves. */
const MAX_ROUNDS = 3;
/** Literal keys per lookup: CrateDB's `statement_max_length` is 262,144 characters. */
const MAX_LOOKUP_CHARS = 250_000;

const isRowError = rowErrorTest(classifyCrateDbError);

/**
 * LAYOUT=commons-codec: after the state table (`<table>__cdc_state`) has gated a delivery, each
 * item whose change was applied (or was a duplicate: a crash may have come between the two
 * writes) is projected into the user table as commons-codec would have written it. A live item is
 * upserted under its gate; a deleted one is removed by key. Then the state is read again by key
 * (real-time): where another writer has moved it on meanwhile (a delete projected before our older
 * insert landed), the user table is set to what the state now holds, so it converges to the state.
 */
export class CommonsCodecTables {
  private readonly keys = new Map<string, readonly KeyColumn[]>();
  private readonly columns = new Map<string, ColumnTypes>();
  /** How each user table this process ensured is created again, should it be dropped. */
  private readonly creators = new Map<string, () => Promise<void>>();
  /** User tables whose columns rematerialize has brought up to its map in this process. */
  private readonly reprojected = new Set<string>();

  constructor(
    private readonly client: CrateDbClient,
    private readonly options: CommonsCodecOptions,
    private readonly deps: CommonsCodecDeps,
  ) {}

  /** Projects the rows of `table` the state accepted; answers the values kept in `aux`, by reason. */
  async project(table: TableWrite, outcomes: RowOutcome[], requestId: string, failed: DeadLetter[]): Promise<Record<string, number>> {
    const diverted: Record<string, number> = {};
    let targets = table.rows.flatMap((row, index): Target[] => {
      return projected(outcomes[index]!) && !row.keysOnly ? [targetOf(row, index, table.columns)] : [];
    });
    // A keys-only change keeps the stored item: projected from the state table.
    const keysOnly = table.rows.flatMap((row, index) => (row.keysOnly && projected(outcomes[index]!) ? [{ row, index }] : []));
    if (targets.length === 0 && keysOnly.length === 0) return diverted;
    const first = targets[0]?.row ?? keysOnly[0]!.row;
    const keys = keyColumnsOf(parseItem(first.pk));
    // CrateDB refuses such a key sub-column (4008, as for `data`): the table cannot be laid out so.
    const invalid = keys.find((k) => INVALID_KEY.test(k.name));
    if (invalid) {
      const message = `the key attribute ${JSON.stringify(invalid.name)} cannot be a CrateDB column name (., [, ], tab, CR, LF): LAYOUT=commons-codec cannot hold this table`;
      for (const target of targets) if (!target.deleted) deadLetter(target, message, outcomes, requestId, failed);
      for (const { row, index } of keysOnly) deadLetter(targetOf(row, index, []), message, outcomes, requestId, failed);
      return diverted;
    }
    await this.ensureUserTable(table.table, keys, table.columns);
    if (keysOnly.length > 0) targets.push(...(await this.readState(table, keysOnly)));
    // The last projection of each row of the delivery: its values in `aux` are counted once.
    const written = new Map<number, CodecProjection>();
    for (let round = 1; targets.length > 0; round++) {
      await this.writeTargets(table, targets, outcomes, requestId, failed, round === 1);
      for (const t of targets)
        if (t.projection && !t.deleted) written.set(t.index, t.projection);
        else written.delete(t.index);
      if (round === MAX_ROUNDS) break;
      targets = await this.movedOn(table, targets);
    }
    for (const [index, projection] of written) {
      if (outcomes[index]!.outcome === 'dead_lettered') continue;
      for (const { reason } of projection.diversions) diverted[reason] = (diverted[reason] ?? 0) + 1;
    }
    return diverted;
  }

  /**
   * npm run rematerialize, after it rewrote the typed columns of these keys in the state table:
   * their user rows projected again from the state, as a keys-only change is (the gate lets the
   * same change be written again; a newer one the stream wrote meanwhile stands). Answers a dead
   * letter for each row the user table refused (which keeps the columns it had).
   */
  async reproject(table: string, pks: readonly string[], columns: readonly ColumnSpec[], requestId: string): Promise<DeadLetter[]> {
    if (pks.length === 0) return [];
    // A user table this process ensured before the map changed lacks the new columns: added once.
    if (!this.reprojected.has(table)) {
      await this.ensureUserTable(table, keyColumnsOf(parseItem(pks[0]!)), columns);
      await this.addLackingColumns(table, columns);
      this.reprojected.add(table);
    }
    const rows = pks.map(
      (pk, recordIndex): RowWrite => ({
        recordIndex,
        pk,
        data: pk,
        deleted: false,
        version: 0,
        sequence: null,
        eventId: '',
        eventName: 'MODIFY',
        ttl: false,
        keysOnly: true,
        sourceTable: table,
      }),
    );
    const outcomes: RowOutcome[] = rows.map(() => ({ outcome: 'duplicate' }));
    const refused: DeadLetter[] = [];
    await this.project({ table, columns, rows, changes: [] }, outcomes, requestId, refused);
    return refused;
  }

  /**
   * `tryInsert`: items the state took as new changes of INSERT events go as a plain insert first
   * (several times cheaper for CrateDB than the upsert's CASE on every column); whatever it does
   * not write (a key there already, anything refused) goes through the gated upsert as the rest.
   */
  private async writeTargets(
    table: TableWrite,
    targets: readonly Target[],
    outcomes: RowOutcome[],
    requestId: string,
    failed: DeadLetter[],
    tryInsert: boolean,
  ): Promise<void> {
    const keys = this.keys.get(table.table)!;
    const columns = this.columns.get(table.table)!;
    const claims: ColumnTypes = new Map();
    const live: Target[] = [];
    const deleted: string[] = [];
    for (const target of targets) {
      const result = this.projectTarget(target, keys, columns, claims);
      // A key the table cannot hold was never projected live: nothing to delete.
      if (!result.ok && target.deleted) continue;
      if (!result.ok) {
        deadLetter(target, `the key cannot be stored in the commons-codec table: ${result.error}`, outcomes, requestId, failed);
        continue;
      }
      target.projection = result.projection;
      if (target.deleted) deleted.push(keyArgs(result.projection));
      else live.push(target);
    }
    if (deleted.length > 0) await this.deleteRows(table.table, deleted);
    const isFresh = (t: Target) => tryInsert && t.row.eventName === 'INSERT' && outcomes[t.index]!.outcome === 'applied';
    const fresh = live.filter(isFresh);
    const notInserted = fresh.length > 0 ? await this.insertRows(table.table, table.columns, fresh) : [];
    const upsert = codec.upsertUserRows(this.options.schema, table.table, keys, table.columns);
    const refused = await this.upsertRows(table.table, upsert, [...live.filter((t) => !isFresh(t)), ...notInserted]);
    if (refused.length === 0) return;
    await this.loadColumns(table.table);
    for (const { target, error } of refused) {
      const rescued = await this.rescue(table.table, upsert, keys, target, claims);
      if (!rescued) deadLetter(target, `cratedb refused the commons-codec row: ${errorMessage(error)}`, outcomes, requestId, failed);
    }
  }

  private projectTarget(target: Target, keys: readonly KeyColumn[], columns: ColumnTypes, claims: ColumnTypes): CodecResult {
    return target.deleted ? projectCodecAllToAux(target.item, keys) : projectCodecItem(target.item, keys, columns, this.options.maxDataColumns, claims);
  }

  /** A refused row alone: projected with fresh sub-column types, then with all but its key in `aux`. */
  private async rescue(table: string, upsert: string, keys: readonly KeyColumn[], target: Target, claims: ColumnTypes): Promise<boolean> {
    const projections = [
      () => projectCodecItem(target.item, keys, this.columns.get(table)!, this.options.maxDataColumns, claims),
      () => projectCodecAllToAux(target.item, keys),
    ];
    for (const project of projections) {
      const result = project();
      if (!result.ok) return false;
      target.projection = result.projection;
      const attempt = await this.upsertAlone(table, upsert, target);
      if (attempt.ok) return true;
    }
    return false;
  }

  private upsertAlone(table: string, upsert: string, target: Target): Promise<Attempt> {
    return attemptAlone(() => this.upsert(table, upsert, [target]), isRowError);
  }

  /**
   * Upserts in bulk; rows that may change the mapping go one per request, after the others:
   * CrateDB 6.4.3 loses the `data` update of stored rows that follow such a row in a shard
   * request (cratedb-sink.ts, `updateRows`). Answers the rows refused, each with its error.
   */
  private async upsertRows(table: string, upsert: string, targets: readonly Target[]): Promise<{ target: Target; error: unknown }[]> {
    const refused: { target: Target; error: unknown }[] = [];
    const steady = targets.filter((t) => !t.projection!.changesMapping);
    const changing = targets.filter((t) => t.projection!.changesMapping);
    const size = (t: Target) => t.projection!.dataJson.length + t.projection!.auxJson.length + ROW_OVERHEAD_BYTES;
    const { maxRowsPerStatement, maxBytesPerStatement } = this.options;
    const chunks = [...chunkRows(steady, size, maxRowsPerStatement, maxBytesPerStatement), ...changing.map((t) => [t])];
    for (const chunk of chunks) {
      const attempts = await writeIsolatingFailures(
        chunk,
        (rows) => this.upsert(table, upsert, rows),
        isRowError,
        (_row, error): Attempt => ({ ok: false, error }),
      );
      attempts.forEach((attempt, i) => {
        if (!attempt.ok) refused.push({ target: chunk[i]!, error: attempt.error });
      });
    }
    return refused;
  }

  /** Plain inserts of user rows; answers those not written, for the upsert to decide. */
  private async insertRows(table: string, typed: readonly ColumnSpec[], targets: readonly Target[]): Promise<Target[]> {
    const insert = codec.insertUserRows(this.options.schema, table, typed);
    const size = (t: Target) => t.projection!.dataJson.length + t.projection!.auxJson.length + ROW_OVERHEAD_BYTES;
    const { maxRowsPerStatement, maxBytesPerStatement } = this.options;
    const left: Target[] = [];
    for (const chunk of chunkRows(targets, size, maxRowsPerStatement, maxBytesPerStatement)) {
      try {
        const { results } = await this.onUserTable(table, () => this.client.executeBulk(insert, chunk.map(upsertArgs)));
        chunk.forEach((t, i) => {
          if (results?.[i]?.rowcount !== 1) left.push(t);
        });
      } catch (error) {
        // Refused whole (a value that cannot be cast, say): the upsert re-projects and isolates.
        if (!isRowError(error)) throw error;
        left.push(...chunk);
      }
    }
    return left;
  }

  private async upsert(table: string, upsert: string, targets: readonly Target[]): Promise<Attempt[]> {
    const refresh = sql.refreshTable(this.options.schema, table);
    const { results } = await this.onUserTable(table, () => bulkRefreshingUnreadable(this.client, refresh, upsert, targets.map(upsertArgs)));
    return bulkAttempts({ results }, targets.length, false);
  }

  private async deleteRows(table: string, args: readonly string[]): Promise<void> {
    const keys = this.keys.get(table)!;
    for (const chunk of chunkRows(args, (a) => a.length, this.options.maxRowsPerStatement, this.options.maxBytesPerStatement)) {
      const refresh = sql.refreshTable(this.options.schema, table);
      const { results } = await this.onUserTable(table, () =>
        bulkRefreshingUnreadable(this.client, refresh, codec.deleteUserRow(this.options.schema, table, keys), chunk),
      );
      // A row already gone fails its bulk delete with 40411 (observed on 6.4.3): nothing to do.
      const gone = results.map((r) => (r.error?.code === DOCUMENT_MISSING ? { rowcount: 0 } : r));
      const refused = bulkAttempts({ results: gone }, chunk.length, false).find((a) => !a.ok);
      if (refused && !refused.ok) throw refused.error;
    }
  }

  /** The targets whose state another writer has moved on since: their state now, to project again. */
  private async movedOn(table: TableWrite, targets: readonly Target[]): Promise<Target[]> {
    const state = codec.stateTableOf(table.table);
    const stored = new Map<string, readonly unknown[]>();
    for (const chunk of this.lookupChunks(targets.map((t) => t.row.pk))) {
      const statement = codec.selectStateGates(this.options.schema, state, chunk, quoteLiteral);
      const { rows } = await executeRefreshingUnreadable(this.client, sql.refreshTable(this.options.schema, state), statement);
      for (const r of rows) stored.set(String(r[0]), r);
    }
    const moved = targets.filter((t) => {
      const s = stored.get(t.row.pk);
      // No state row: a purged tombstone (the user row was removed with it).
      if (s === undefined) return !t.deleted;
      const [, version, seq, eventId, deleted] = s;
      return Number(version) !== t.version || String(seq ?? '') !== t.seq || String(eventId) !== t.eventId || Boolean(deleted) !== t.deleted;
    });
    if (moved.length === 0) return [];
    return this.readState(
      table,
      moved.map((t) => ({ row: t.row, index: t.index })),
    );
  }

  /** The state rows of these keys, as targets; a key without one is a deleted item. */
  private async readState(table: TableWrite, rows: readonly { row: RowWrite; index: number }[]): Promise<Target[]> {
    const state = codec.stateTableOf(table.table);
    const found = new Map<string, readonly unknown[]>();
    for (const chunk of this.lookupChunks(rows.map((r) => r.row.pk))) {
      const statement = codec.selectStateRows(this.options.schema, state, chunk, quoteLiteral, table.columns);
      const { rows: stored } = await executeRefreshingUnreadable(this.client, sql.refreshTable(this.options.schema, state), statement);
      for (const r of stored) found.set(String(r[0]), r);
    }
    return rows.map(({ row, index }): Target => {
      const r = found.get(row.pk);
      if (r === undefined) return { ...targetOf(row, index, []), deleted: true, item: parseItem(row.pk) };
      const [, item, deleted, version, seq, eventId, , ...typed] = r;
      return {
        row,
        index,
        deleted: Boolean(deleted),
        version: Number(version),
        seq: String(seq ?? ''),
        eventId: String(eventId),
        // A tombstone's item holds its key attributes.
        item: parseItem(typeof item === 'string' ? item : row.pk),
        // As CrateDB answers them: timestamps as epoch milliseconds, which it takes back as they are.
        typed: typed.map((v) => JSON.stringify(v ?? null)),
      };
    });
  }

  private lookupChunks(pks: readonly string[]): string[][] {
    const maxChars = Math.min(this.options.maxBytesPerStatement, MAX_LOOKUP_CHARS);
    return chunkRows(pks, (pk) => quoteLiteral(pk).length + 2, this.options.maxRowsPerStatement, maxChars);
  }

  /**
   * Creates the user table as commons-codec would (its key columns from the first row), or
   * adopts the one there: its key columns are read from it, and the gate and COLUMN_MAP columns
   * it lacks are added.
   */
  private ensureUserTable(table: string, keys: readonly KeyColumn[], typed: readonly ColumnSpec[]): Promise<void> {
    if (!this.creators.has(table)) this.creators.set(table, () => this.createUserTable(table, keys, typed));
    return this.deps.ensure(`codec:${table}`, this.creators.get(table)!);
  }

  private onUserTable<T>(table: string, run: () => Promise<T>): Promise<T> {
    return this.deps.recreateOnMissing(`codec:${table}`, this.creators.get(table)!, run);
  }

  private createUserTable(table: string, keys: readonly KeyColumn[], typed: readonly ColumnSpec[]): Promise<void> {
    return (async () => {
      const { schema, tableSettings } = this.options;
      await this.deps.createTable(codec.createUserTable(schema, table, keys, tableSettings), table);
      const { rows } = await this.client.execute(codec.selectKeyColumns, [schema, table]);
      const present = codec.keyColumnsFrom(rows);
      if (present.length === 0) throw new CommonsCodecTableError(`table ${schema}.${table} has no pk OBJECT of key columns: it is not a commons-codec table`);
      this.keys.set(table, present);
      await this.addLackingColumns(table, typed);
    })();
  }

  /** The gate and COLUMN_MAP columns the user table lacks, added; then its sub-column types, learnt. */
  private async addLackingColumns(table: string, typed: readonly ColumnSpec[]): Promise<void> {
    const { schema } = this.options;
    const wanted = codec.userColumns(typed);
    const missing = async () => {
      const { rows: columns } = await this.client.execute(sql.selectTableColumns, [schema, table]);
      const have = new Set(columns.map(([name]) => String(name)));
      return wanted.filter((c) => !have.has(c.name));
    };
    const lacking = await missing();
    if (lacking.length > 0) {
      try {
        await this.client.execute(codec.addUserColumns(schema, table, lacking));
      } catch (error) {
        // Another instance added them meanwhile ("already has a column named …").
        if ((await missing()).length > 0) throw error;
      }
    }
    await this.loadColumns(table);
  }

  private async loadColumns(table: string): Promise<void> {
    const { rows } = await this.client.execute(sql.selectDataColumns, [this.options.schema, table]);
    this.columns.set(table, columnTypesFrom(rows));
  }
}

/** A table of the user's name that cannot be a commons-codec table. */
export class CommonsCodecTableError extends Error {
  readonly code = 'COMMONS_CODEC_TABLE';
}

/** The state took the change (or already held it): the user table is to show it. */
function projected({ outcome }: RowOutcome): boolean {
  return outcome === 'applied' || outcome === 'duplicate';
}

function targetOf(row: RowWrite, index: number, columns: readonly ColumnSpec[]): Target {
  return {
    row,
    index,
    deleted: row.deleted,
    version: row.version,
    seq: paddedSeq(row.sequence),
    eventId: row.eventId,
    item: parseItem(row.data),
    typed: crateColumnValues(columns, row.columns?.values).json,
  };
}

function deadLetter(target: Target, message: string, outcomes: RowOutcome[], requestId: string, failed: DeadLetter[]): void {
  if (outcomes[target.index]?.outcome === 'dead_lettered') return;
  outcomes[target.index] = { outcome: 'dead_lettered', error: message };
  failed.push(rowDeadLetter(requestId, target.row, JSON.stringify(target.row), message));
}

/** The key values in the key columns' order, as `bulk_args` JSON text, from the projected `pk`. */
function keyArgs(projection: CodecProjection): string {
  return `[${projection.keyJson.join(',')}]`;
}

function upsertArgs(target: Target): string {
  const p = target.projection!;
  return `[${p.pkJson},${p.dataJson},${p.auxJson},${target.version},${JSON.stringify(target.seq)},${JSON.stringify(target.eventId)}${target.typed.map((v) => `,${v}`).join('')}]`;
}
