import { randomUUID } from 'node:crypto';
import type { ColumnSpec } from '../../config/column-map.js';
import { TABLE_OWNERS_TABLE } from '../../translate/target-name.js';
import type { ChangeLogRow, DeadLetter, RowWrite, TableWrite, WriteBatch } from '../../translate/write-batch.js';
import type { ClaimResult, ColumnRewrite, RowOutcome, Sink, SinkWriteResult, StoredVersion, TableResult } from '../sink.js';
import { chunkRows } from '../sql/chunk-rows.js';
import { deadLetterId, rowDeadLetter } from '../sql/dead-letters.js';
import { writeIsolatingFailures } from '../sql/isolate-failures.js';
import { answers, errorMessage, rowErrorTest, sinkErrorOf, throwingSinkErrors } from '../sql/sink-errors.js';
import { TableRegistry } from '../sql/table-registry.js';
import { writeBatch } from '../sql/write-loop.js';
import { bulkRowError, classifyCrateDbError, CrateDbHttpError, DOCUMENT_MISSING, VERSION_CONFLICT } from './classify-error.js';
import type { BulkResult, CrateDbClient } from './cratedb-client.js';
import { columnTypesFrom } from './column-types.js';
import { CommonsCodecTables } from './commons-codec-tables.js';
import { stateTableOf } from './commons-codec-statements.js';
import { crateColumnRewrite } from './column-rewrite.js';
import { MAX_INDEXED_TEXT_BYTES, parseItem, projectAllToAux, projectItem, type ColumnTypes, type Projection } from './project-item.js';
import { quoteLiteral } from './identifiers.js';
import * as sql from './statements.js';
import { attemptAlone, bulkAttempts, DUPLICATE_KEY, type Attempt } from './bulk-attempts.js';
import { bulkRefreshingUnreadable, executeRefreshingUnreadable } from './unreadable-source.js';
import { claimNames, createTableOwnersTable, SplitClaimError } from './table-owners.js';
import { crateColumnValues, type CrateColumnValues } from './typed-columns.js';
import { gateKeyOf, gateOutcome, paddedSeq, storedGateKeys, type GateKey } from './version-gate.js';

export interface CrateDbSinkOptions {
  readonly schema: string;
  readonly deadLetterTable: string;
  readonly tableSettings: sql.TableSettings;
  readonly maxRowsPerStatement: number;
  readonly maxBytesPerStatement: number;
  /** Sub-columns of `data` at most; CrateDB's default table limit is 1000 columns. */
  readonly maxDataColumns: number;
  /** `commons-codec`: the user's tables as commons-codec writes them, the state beside each (commons-codec-tables.ts). */
  readonly layout?: 'cratedb' | 'commons-codec';
}

/** A row that passed the pre-read gate and is to be written. */
interface Candidate {
  readonly index: number;
  readonly row: RowWrite;
  readonly item: Record<string, unknown>;
  /** COLUMN_MAP's typed columns as CrateDB stores them. */
  readonly typed: CrateColumnValues;
  projection: Projection;
}

/** A bulk statement, and whether it may update stored rows (an upsert) or only insert. */
interface Write {
  readonly statement: string;
  readonly updates: boolean;
}

const ROW_OVERHEAD_BYTES = 512;
/** Rounds of re-projecting rows CrateDB cast, before their values all go to `aux`. */
const MAX_REWRITE_ROUNDS = 3;
/** How long a new table's shards may take to start before writes go ahead anyway (and fail retryably). */
const SHARDS_START_MS = 10_000;
/** CrateDB's default `statement_max_length` is 262,144 characters: room left for the SELECT around the keys. */
const MAX_STATEMENT_CHARS = 250_000;
/** Tombstones read and deleted per statement by the purge. */
const PURGE_BATCH = 10_000;
/** Indexed text of a dead letter (`error`, `request_id`), in characters: 3 UTF-8 bytes each at most. */
const MAX_INDEXED_TEXT_CHARS = Math.floor(MAX_INDEXED_TEXT_BYTES / 3);

/**
 * The CrateDB sink: `/_sql` with `bulk_args`. Per table and delivery: one primary-key lookup of
 * the stored versions (to tell applied, stale and duplicate apart, and to skip rows that would
 * change nothing; rows of INSERT events skip it while they are mostly new), then a plain insert
 * of the rows not stored, a compare-and-set update of the stored ones, and the version-gated
 * upsert for whatever those two did not write; each split only above the configured bounds.
 * Rows CrateDB refuses are isolated, re-projected, kept whole in `aux`, or dead-lettered.
 */
export class CrateDbSink implements Sink {
  readonly kind = 'cratedb';
  private readonly tables = new TableRegistry({ isMissing: (error) => classifyCrateDbError(error) === 'missing_table' });
  private readonly columns = new Map<string, ColumnTypes>();
  /** COLUMN_MAP's columns of each state table this process ensured. */
  private readonly typed = new Map<string, readonly ColumnSpec[]>();
  /** State tables whose INSERT rows were mostly found stored already (a redelivery, a replay, a backfill over streamed rows). */
  private readonly insertsStored = new Set<string>();
  private readonly codec: CommonsCodecTables | null;

  constructor(
    private readonly client: CrateDbClient,
    private readonly options: CrateDbSinkOptions,
  ) {
    const lent = { ensure: this.ensure.bind(this), createTable: this.createTable.bind(this), recreateOnMissing: this.recreateOnMissing.bind(this) };
    this.codec = options.layout === 'commons-codec' ? new CommonsCodecTables(client, options, lent) : null;
  }

  write(batch: WriteBatch): Promise<SinkWriteResult> {
    return writeBatch(batch, {
      writeTable: (table, requestId, refused) => this.writeTable(table, requestId, refused),
      writeDeadLetters: (letters) => this.writeDeadLetters(letters),
      sinkError,
    });
  }

  /** Target names held in CrateDB for good, so that every instance agrees (README, The tables). */
  async claimNames(names: readonly string[], sourceTable: string): Promise<ClaimResult> {
    const { schema, tableSettings } = this.options;
    try {
      await this.ensure('owners', () => this.createTable(createTableOwnersTable(schema, tableSettings), TABLE_OWNERS_TABLE));
      // commons-codec: the user's table may be one commons-codec created; the state table is ours.
      const claimed = this.codec ? [...names, stateTableOf(names[0]!)] : names;
      return { ok: true, heldBy: await claimNames(this.client, schema, claimed, sourceTable, this.codec ? [names[0]!] : []) };
    } catch (error) {
      return { ok: false, error: sinkError(error) };
    }
  }

  ping(): Promise<boolean> {
    return answers(() => this.client.execute('SELECT 1'));
  }

  /**
   * Deletes tombstones below `version`. A DELETE by query would find them with a search and then
   * delete by id without a version check, so a row revived in between would go too: each is
   * deleted by key only if it is still the document the search saw (`_seq_no`, `_primary_term`).
   */
  async purgeTombstones(version: number): Promise<number> {
    const { schema } = this.options;
    const { rows: tables } = await this.client.execute(sql.listStateTables, [schema]);
    let purged = 0;
    for (const [name] of tables) {
      const table = String(name);
      for (;;) {
        await this.client.execute(sql.refreshTable(schema, table));
        const { rows } = await this.client.execute(sql.purgeCandidates(schema, table, PURGE_BATCH), [version]);
        if (rows.length === 0) break;
        const { results } = await this.client.executeBulk(
          sql.deleteUnchanged(schema, table),
          rows.map((r) => JSON.stringify(r)),
        );
        let deleted = 0;
        for (const result of results) {
          if (result.rowcount > 0) deleted++;
          // Written since it was read (revived, or a newer tombstone), or already gone: kept.
          else if (result.error?.code !== VERSION_CONFLICT && result.error?.code !== DOCUMENT_MISSING) throw bulkRowError(result.error);
        }
        purged += deleted;
        if (rows.length < PURGE_BATCH || deleted === 0) break;
      }
    }
    return purged;
  }

  async liveRowsBelow(target: string, sourceTable: string, version: number): Promise<StoredVersion[]> {
    const { schema } = this.options;
    const table = this.stateName(target);
    try {
      await this.client.execute(sql.refreshTable(schema, table));
      const { rows } = await this.client.execute(sql.liveRowsBelow(schema, table), [sourceTable, version]);
      return rows.map(([pk, v]) => ({ pk: String(pk), version: Number(v) }));
    } catch (error) {
      if (classifyCrateDbError(error) === 'missing_table') return [];
      throw error;
    }
  }

  /**
   * npm run rematerialize: the map's columns added where missing, then a refresh, so that the
   * pages (searches) see every row stored before.
   */
  async rewriteColumns(target: string, columns: readonly ColumnSpec[]): Promise<ColumnRewrite | null> {
    const { schema } = this.options;
    const table = this.stateName(target);
    try {
      const { rows: tables } = await this.client.execute(sql.listStateTables, [schema]);
      if (!tables.some(([name]) => name === table)) return null;
      // Not through ensureStateTable: a table this process ensured for writes may lack these columns still.
      await this.addTypedColumns(table, columns);
      await this.client.execute(sql.refreshTable(schema, table));
      const lookUp = (names: readonly string[], pks: readonly string[]) => this.lookUp(table, names, pks);
      const rewrite = await crateColumnRewrite(this.client, { schema, table, columns, lookUp }, sinkError);
      const codec = this.codec;
      if (!codec) return rewrite;
      // LAYOUT=commons-codec: the user table carries the columns too, projected from the state.
      const reproject = throwingSinkErrors(async (pks: readonly string[]) => {
        const refused = await codec.reproject(target, pks, columns, `rematerialize-${randomUUID()}`);
        if (refused.length > 0) await this.writeDeadLetters(refused);
      }, sinkError);
      return {
        ...rewrite,
        async write(rows) {
          const result = await rewrite.write(rows);
          await reproject(rows.flatMap((r, i) => (result.written[i] ? [r.stored.pk] : [])));
          return result;
        },
      };
    } catch (error) {
      throw sinkError(error);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async writeTable(table: TableWrite, requestId: string, failed: DeadLetter[]): Promise<TableResult> {
    const state = this.stateName(table.table);
    await this.ensureStateTable(state, table.columns);
    // An INSERT event is of an item DynamoDB did not hold, so most often not stored here either:
    // while that holds for this table, such rows skip the lookup and go straight to the plain
    // insert, which refuses (4091) the ones stored after all; only those are looked up and gated.
    const guessNew = !this.insertsStored.has(state);
    const lookedUp = guessNew ? table.rows.filter((r) => r.eventName !== 'INSERT') : table.rows;
    const stored = lookedUp.length > 0 ? await this.readGateKeys(state, lookedUp) : new Map<string, GateKey>();
    const columns = this.columns.get(state)!;
    const claims: ColumnTypes = new Map();
    const outcomes: RowOutcome[] = [];
    const candidates: Candidate[] = [];
    table.rows.forEach((row, index) => {
      const gate = gateOutcome(gateKeyOf(row), stored.get(row.pk));
      if (gate !== 'newer') {
        outcomes[index] = { outcome: gate };
        return;
      }
      const item = parseItem(row.data);
      const typed = crateColumnValues(table.columns, row.columns?.values);
      candidates.push({ index, row, item, typed, projection: projectItem(item, columns, this.options.maxDataColumns, claims) });
      outcomes[index] = { outcome: 'applied' };
    });

    // Rows with no stored row known are inserted plainly, which CrateDB does several times faster
    // than an upsert (npm run bench). One refused as stored (4091: an INSERT row not looked up,
    // or a key another writer inserted after the lookup) is gated against what is stored now,
    // and goes through the version-gated upsert if newer.
    const upsert = sql.upsertRows(this.options.schema, state, false, table.columns);
    const fresh = candidates.filter((c) => !stored.has(c.row.pk));
    const known = candidates.filter((c) => stored.has(c.row.pk));
    const taken = await this.writeAndRescue(
      state,
      { statement: sql.insertRows(this.options.schema, state, table.columns), updates: false },
      fresh,
      claims,
      outcomes,
      requestId,
      failed,
      upsert,
    );
    const storedNow = taken.stored;
    const unread = taken.rows.filter((c) => !storedNow.has(c.row.pk));
    if (unread.length > 0)
      for (const [pk, key] of await this.readGateKeys(
        state,
        unread.map((c) => c.row),
      ))
        storedNow.set(pk, key);
    const newer = taken.rows.filter((c) => {
      const gate = gateOutcome(gateKeyOf(c.row), storedNow.get(c.row.pk));
      if (gate !== 'newer') outcomes[c.index] = { outcome: gate };
      return gate === 'newer';
    });
    this.learnInserts(state, table.rows, guessNew ? new Set(taken.rows.map((c) => c.row.pk)) : stored);
    const seenOf = (pk: string) => stored.get(pk)?.seen ?? storedNow.get(pk)?.seen;
    const left = await this.replaceStored(state, [...known, ...newer], seenOf, table.columns);
    await this.writeAndRescue(state, { statement: upsert, updates: true }, left, claims, outcomes, requestId, failed);
    await this.rewriteCast(state, candidates, claims, outcomes, requestId, failed);
    if (table.changes.length > 0) await this.writeChangeLog(table, requestId, failed);
    // commons-codec: what the user's table keeps in `aux` is counted, not the state table's.
    const diverted = this.codec ? await this.codec.project(table, outcomes, requestId, failed) : {};
    for (const c of candidates) {
      if (outcomes[c.index]!.outcome !== 'applied') continue;
      if (!this.codec) for (const { reason } of c.projection.diversions) diverted[reason] = (diverted[reason] ?? 0) + 1;
      // Translate counts the values it could not convert; these are the ones CrateDB cannot store.
      if (c.typed.unconverted > 0) diverted.column_type = (diverted.column_type ?? 0) + c.typed.unconverted;
    }
    return { table: table.table, outcomes, diverted };
  }

  /**
   * Stored rows the lookup gated as older, replaced by compare-and-set against the `_seq_no` and
   * `_primary_term` it read (sql.updateStoredRows). Answers the rows not replaced (written or
   * gone since, keys-only, refused for any reason), for the version-gated upsert, which decides
   * them as it always did.
   */
  private async replaceStored(
    table: string,
    candidates: readonly Candidate[],
    seenOf: (pk: string) => readonly [number, number] | undefined,
    typed: readonly ColumnSpec[],
  ): Promise<Candidate[]> {
    const left: Candidate[] = [];
    // A keys-only change keeps the stored item: the upsert's CASE knows how.
    const ready = candidates.filter((c) => !c.row.keysOnly && seenOf(c.row.pk) !== undefined);
    for (const c of candidates) if (c.row.keysOnly || seenOf(c.row.pk) === undefined) left.push(c);
    const statement = sql.updateStoredRows(this.options.schema, table, typed);
    const { maxRowsPerStatement, maxBytesPerStatement } = this.options;
    const size = (c: Candidate) => c.row.data.length * 2 + ROW_OVERHEAD_BYTES;
    // As in updateRows: a row that may change the mapping alone, after the others.
    const requests = [
      ...chunkRows(
        ready.filter((c) => !c.projection.changesMapping),
        size,
        maxRowsPerStatement,
        maxBytesPerStatement,
      ),
      ...ready.filter((c) => c.projection.changesMapping).map((c) => [c]),
    ];
    for (const chunk of requests) {
      let results: BulkResult['results'];
      try {
        ({ results } = await this.withStateTable(table, () =>
          this.client.executeBulk(
            statement,
            chunk.map((c) => updateArgs(c, seenOf(c.row.pk)!)),
          ),
        ));
      } catch (error) {
        // Refused whole (a value that cannot be cast, say): the upsert re-projects and isolates.
        if (!isRowError(error)) throw error;
        left.push(...chunk);
        continue;
      }
      chunk.forEach((c, i) => {
        if (results?.[i]?.rowcount !== 1) left.push(c);
      });
    }
    return left;
  }

  /**
   * Writes the candidates; those CrateDB refuses are re-projected, kept in `aux`, or
   * dead-lettered (alone, with `single`). Answers those a plain insert found already stored, and
   * the stored gate keys of those it had to look up to know it.
   */
  private async writeAndRescue(
    table: string,
    write: Write,
    candidates: readonly Candidate[],
    claims: ColumnTypes,
    outcomes: RowOutcome[],
    requestId: string,
    failed: DeadLetter[],
    single = write.statement,
  ): Promise<{ rows: Candidate[]; stored: Map<string, GateKey> }> {
    const refused = await this.writeRows(table, write, candidates, claims);
    const stored = refused.filter(({ error }) => isDuplicate(error)).map(({ candidate }) => candidate);
    let rest = refused.filter(({ error }) => !isDuplicate(error));
    // CrateDB 6.4.3 gives the error of at most 10 refused rows per shard request
    // (BULK_RESPONSE_MAX_ERRORS_PER_SHARD): past those, a plain insert's refused row may be a
    // stored key too, as a lookup tells (of the duplicates too, in the same statement), rather
    // than a row to retry alone.
    const unexplained = write.updates ? [] : rest.filter(({ error }) => isUnexplained(error)).map(({ candidate }) => candidate);
    const found =
      unexplained.length > 0
        ? await this.readGateKeys(
            table,
            [...stored, ...unexplained].map((c) => c.row),
          )
        : new Map<string, GateKey>();
    if (found.size > 0) {
      stored.push(...rest.filter(({ candidate }) => found.has(candidate.row.pk)).map(({ candidate }) => candidate));
      rest = rest.filter(({ candidate }) => !found.has(candidate.row.pk));
    }
    if (rest.length === 0) return { rows: stored, stored: found };
    // Sub-column types may have changed under us (another writer): learn them once.
    await this.loadColumns(table);
    for (const { candidate, error } of rest) {
      outcomes[candidate.index] = await this.rescue(table, single, candidate, error, claims, requestId, failed);
    }
    return { rows: stored, stored: found };
  }

  /**
   * CrateDB casts a value silently when its sub-column already has another type (1.5 into a
   * BIGINT is 1, a number into TEXT "1.5", observed on 6.4.3), which happens when another writer
   * typed the sub-column first and our cache did not know it yet. Types never change once set, so
   * only the paths this delivery claimed can be wrong: once written, they are compared with what
   * CrateDB now reports, and the rows whose projection differs under the true types are written
   * again (the same change replacing itself), until none differs; past the bound, all in `aux`.
   */
  private async rewriteCast(
    table: string,
    candidates: readonly Candidate[],
    claimed: ColumnTypes,
    outcomes: RowOutcome[],
    requestId: string,
    failed: DeadLetter[],
  ): Promise<void> {
    const rewrite = sql.upsertRows(this.options.schema, table, true, this.typed.get(table));
    let claims = claimed;
    for (let round = 1; claims.size > 0; round++) {
      await this.loadColumns(table);
      const columns = this.columns.get(table)!;
      if (![...claims].some(([path, type]) => columns.has(path) && columns.get(path) !== type)) return;
      claims = new Map();
      const cast = candidates.filter((c) => {
        if (outcomes[c.index]!.outcome !== 'applied') return false;
        const projection =
          round < MAX_REWRITE_ROUNDS ? projectItem(c.item, columns, this.options.maxDataColumns, claims) : projectAllToAux(c.item, parseItem(c.row.pk));
        if (sameProjection(projection, c.projection)) return false;
        c.projection = projection;
        return true;
      });
      if (cast.length === 0) return;
      await this.writeAndRescue(table, { statement: rewrite, updates: true }, cast, claims, outcomes, requestId, failed);
      if (round >= MAX_REWRITE_ROUNDS) return;
    }
  }

  /** Writes the candidates in bulk; returns those CrateDB refused, each isolated with its error. */
  private async writeRows(
    table: string,
    { statement, updates }: Write,
    candidates: readonly Candidate[],
    claims: ColumnTypes,
  ): Promise<{ candidate: Candidate; error: unknown }[]> {
    const refused: { candidate: Candidate; error: unknown }[] = [];
    const { maxRowsPerStatement, maxBytesPerStatement, maxDataColumns } = this.options;
    const size = (c: Candidate) => c.row.data.length * 2 + ROW_OVERHEAD_BYTES;
    const write = (rows: readonly Candidate[]) => (updates ? this.updateRows(table, statement, rows) : this.upsert(table, statement, rows));
    const isolate = (rows: readonly Candidate[]) =>
      // A value that cannot be cast fails the whole request (HTTP 400): halve until it is isolated.
      writeIsolatingFailures(rows, write, isRowError, (_row, error): Attempt => ({ ok: false, error }));
    for (const chunk of chunkRows(candidates, size, maxRowsPerStatement, maxBytesPerStatement)) {
      let attempts: Attempt[];
      try {
        attempts = await write(chunk);
      } catch (error) {
        if (!isRowError(error)) throw error;
        // Most often our sub-column types are stale (another writer): learn them, project
        // the chunk again and retry it before isolating rows one by one.
        await this.loadColumns(table);
        const columns = this.columns.get(table)!;
        for (const c of chunk) c.projection = projectItem(c.item, columns, maxDataColumns, claims);
        attempts = await isolate(chunk);
      }
      attempts.forEach((attempt, i) => {
        if (!attempt.ok) refused.push({ candidate: chunk[i]!, error: attempt.error });
      });
    }
    return refused;
  }

  /**
   * Writes rows that may update stored ones. CrateDB 6.4.3 loses the update of `data` of every
   * stored row that follows, in the same shard request, a row whose write adds a sub-column: the
   * row keeps its old `data` while the rest of it changes (observed; `UpdateToInsert` no longer
   * finds `data` among the assigned columns once the mapping update replaced its reference). So
   * rows that may change the mapping are sent one per request, after the others.
   */
  private async updateRows(table: string, statement: string, rows: readonly Candidate[]): Promise<Attempt[]> {
    const attempts: Attempt[] = new Array(rows.length);
    const steady = rows.flatMap((c, i) => (c.projection.changesMapping ? [] : [i]));
    if (steady.length > 0) {
      const answered = await this.upsert(
        table,
        statement,
        steady.map((i) => rows[i]!),
      );
      steady.forEach((i, n) => (attempts[i] = answered[n]!));
    }
    for (const [i, c] of rows.entries()) {
      if (c.projection.changesMapping) attempts[i] = (await this.upsert(table, statement, [c]))[0]!;
    }
    return attempts;
  }

  private async upsert(table: string, statement: string, rows: readonly Candidate[]): Promise<Attempt[]> {
    const refresh = sql.refreshTable(this.options.schema, table);
    const answer = await this.withStateTable(table, () => bulkRefreshingUnreadable(this.client, refresh, statement, rows.map(upsertArgs)));
    return bulkAttempts(answer, rows.length, false);
  }

  /**
   * A row CrateDB refused: retried alone, projected with fresh sub-column types (which also
   * learns its error when the bulk gave none); failing that, with everything but its key in
   * `aux`; failing that, dead-lettered.
   */
  private async rescue(
    table: string,
    statement: string,
    candidate: Candidate,
    error: unknown,
    claims: ColumnTypes,
    requestId: string,
    failed: DeadLetter[],
  ): Promise<RowOutcome> {
    const projections: (() => Projection)[] = [
      () => projectItem(candidate.item, this.columns.get(table)!, this.options.maxDataColumns, claims),
      () => projectAllToAux(candidate.item, parseItem(candidate.row.pk)),
    ];
    let last = error;
    for (const project of projections) {
      candidate.projection = project();
      const attempt = await this.upsertAlone(table, statement, candidate);
      if (attempt.ok) return { outcome: 'applied' };
      last = attempt.error;
    }
    const message = `cratedb refused the row: ${errorMessage(last)}`;
    failed.push(rowDeadLetter(requestId, candidate.row, JSON.stringify(candidate.row), message));
    return { outcome: 'dead_lettered', error: message };
  }

  private upsertAlone(table: string, statement: string, candidate: Candidate): Promise<Attempt> {
    return attemptAlone(() => this.upsert(table, statement, [candidate]), isRowError);
  }

  /** Whether this table's next INSERT rows skip the lookup: not while most of them are found stored. */
  private learnInserts(table: string, rows: readonly RowWrite[], found: ReadonlySet<string> | ReadonlyMap<string, unknown>): void {
    let inserts = 0;
    let storedAlready = 0;
    for (const row of rows) {
      if (row.eventName !== 'INSERT') continue;
      inserts++;
      if (found.has(row.pk)) storedAlready++;
    }
    if (inserts === 0) return;
    if (storedAlready * 2 > inserts) this.insertsStored.add(table);
    else this.insertsStored.delete(table);
  }

  private async readGateKeys(table: string, rows: readonly RowWrite[]): Promise<Map<string, GateKey>> {
    return storedGateKeys(
      await this.lookUp(
        table,
        sql.gateColumns,
        rows.map((r) => r.pk),
      ),
    );
  }

  /** Columns of the rows of `pks`, looked up in real time. */
  private async lookUp(table: string, columns: readonly string[], pks: readonly string[]): Promise<unknown[][]> {
    const found: unknown[][] = [];
    // Keys are sent as literals (so that the lookup is real-time), in statements CrateDB accepts:
    // at most `statement_max_length` characters (262,144 by default, observed on 6.4.3).
    const size = (pk: string) => quoteLiteral(pk).length + 2;
    const maxChars = Math.min(this.options.maxBytesPerStatement, MAX_STATEMENT_CHARS);
    for (const chunk of chunkRows(pks, size, this.options.maxRowsPerStatement, maxChars)) {
      const statement = sql.selectByKeys(this.options.schema, table, columns, chunk);
      const refresh = sql.refreshTable(this.options.schema, table);
      const { rows } = await this.withStateTable(table, () => executeRefreshingUnreadable(this.client, refresh, statement));
      found.push(...rows);
    }
    return found;
  }

  private async writeChangeLog(table: TableWrite, requestId: string, failed: DeadLetter[]): Promise<void> {
    const { schema, tableSettings } = this.options;
    const createLog = () => this.createTable(sql.createChangeLogTable(schema, table.table, tableSettings), table.table + sql.changeLogSuffix);
    await this.ensure(`log:${table.table}`, createLog);
    const statement = sql.insertChangeLog(schema, table.table);
    const { maxRowsPerStatement, maxBytesPerStatement } = this.options;
    const size = (c: ChangeLogRow) => (c.newImage?.length ?? 0) + (c.oldImage?.length ?? 0) + ROW_OVERHEAD_BYTES;
    for (const chunk of chunkRows(table.changes, size, maxRowsPerStatement, maxBytesPerStatement)) {
      const attempts = await writeIsolatingFailures(
        chunk,
        async (rows) =>
          bulkAttempts(
            await this.recreateOnMissing(`log:${table.table}`, createLog, () => this.client.executeBulk(statement, rows.map(changeArgs))),
            rows.length,
          ),
        isRowError,
        (_row, error): Attempt => ({ ok: false, error }),
      );
      attempts.forEach((attempt, i) => {
        if (attempt.ok) return;
        const message = `cratedb refused the change-log row: ${errorMessage(attempt.error)}`;
        failed.push(rowDeadLetter(requestId, chunk[i]!, JSON.stringify(chunk[i]!), message));
      });
    }
  }

  /** Dead letters must be stored for the delivery to succeed: any refusal fails it. */
  private async writeDeadLetters(letters: readonly DeadLetter[]): Promise<void> {
    const { schema, deadLetterTable, tableSettings } = this.options;
    const createTable = () => this.createTable(sql.createDeadLetterTable(schema, deadLetterTable, tableSettings), deadLetterTable);
    await this.ensure(`dlq:${deadLetterTable}`, createTable);
    const statement = sql.insertDeadLetters(schema, deadLetterTable);
    const now = Date.now();
    // `request_id` and `error` are indexed: cut so that CrateDB never refuses the letter itself.
    const indexed = (text: string) => (text.length > MAX_INDEXED_TEXT_CHARS ? `${text.slice(0, MAX_INDEXED_TEXT_CHARS)}…` : text);
    const rows = letters.map((d) =>
      JSON.stringify([deadLetterId(d), indexed(d.requestId), d.recordIndex, d.source, d.sourceTable, d.payload, indexed(d.error), now]),
    );
    const answer = await this.recreateOnMissing(`dlq:${deadLetterTable}`, createTable, () => this.client.executeBulk(statement, rows));
    const attempts = bulkAttempts(answer, rows.length);
    const refused = attempts.find((a) => !a.ok);
    if (refused && !refused.ok) throw refused.error;
  }

  /** Where a target's exact state lives: the target itself, or beside the user's commons-codec table. */
  private stateName(target: string): string {
    return this.codec ? stateTableOf(target) : target;
  }

  private ensureStateTable(table: string, columns: readonly ColumnSpec[]): Promise<void> {
    this.typed.set(table, columns);
    return this.ensure(`state:${table}`, () => this.createStateTable(table));
  }

  private async createStateTable(table: string): Promise<void> {
    const { schema, tableSettings } = this.options;
    await this.createTable(sql.createStateTable(schema, table, tableSettings), table);
    await this.addTypedColumns(table);
    await this.loadColumns(table);
  }

  /** COLUMN_MAP's columns the table lacks (new in the map, or a table created before it). */
  private async addTypedColumns(table: string, columns: readonly ColumnSpec[] = this.typed.get(table) ?? []): Promise<void> {
    if (columns.length === 0) return;
    const missing = async () => {
      const { rows } = await this.client.execute(sql.selectTableColumns, [this.options.schema, table]);
      const present = new Set(rows.map(([name]) => String(name)));
      return columns.filter((c) => !present.has(c.name));
    };
    const lacking = await missing();
    if (lacking.length === 0) return;
    try {
      await this.client.execute(sql.addTypedColumns(this.options.schema, table, lacking));
    } catch (error) {
      // Another instance added them meanwhile ("already has a column named …").
      if ((await missing()).length > 0) throw error;
    }
  }

  /**
   * CREATE TABLE answers before the table's shards have started; a write meanwhile fails with
   * 4040 IllegalIndexShardStateException (RECOVERING), seen on 6.4.3 when another instance had
   * just created the table. So wait, briefly and bounded, until every primary shard is STARTED.
   */
  private async createTable(statement: string, table: string): Promise<void> {
    await this.client.execute(statement);
    const deadline = Date.now() + SHARDS_START_MS;
    for (;;) {
      const { rows } = await this.client.execute(sql.primaryShardStates, [this.options.schema, table]);
      if ((rows.length > 0 && rows.every(([state]) => state === 'STARTED')) || Date.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async loadColumns(table: string): Promise<void> {
    const { rows } = await this.client.execute(sql.selectDataColumns, [this.options.schema, table]);
    this.columns.set(table, columnTypesFrom(rows));
  }

  private ensure(key: string, create: () => Promise<unknown>): Promise<void> {
    return this.tables.ensure(key, create);
  }

  /** Runs a statement on a state table; when the table was dropped (4041), creates it and runs it again. */
  private withStateTable<T>(table: string, run: () => Promise<T>): Promise<T> {
    return this.recreateOnMissing(`state:${table}`, () => this.createStateTable(table), run);
  }

  /** Runs a statement; when its table was dropped meanwhile (4041), creates it again and runs it once more. */
  private recreateOnMissing<T>(readyKey: string, create: () => Promise<unknown>, run: () => Promise<T>): Promise<T> {
    return this.tables.recreateOnMissing(readyKey, create, run);
  }
}

function sinkError(error: unknown) {
  // A claim split between two instances is retried like any trouble that is not the data's.
  return sinkErrorOf('cratedb', error, error instanceof SplitClaimError ? 'retryable' : classifyCrateDbError(error));
}

const isRowError = rowErrorTest(classifyCrateDbError);

function isDuplicate(error: unknown): boolean {
  return error instanceof CrateDbHttpError && error.errorCode === DUPLICATE_KEY;
}

/** A row of a bulk request refused with no error given (-2 alone). */
function isUnexplained(error: unknown): boolean {
  return error instanceof CrateDbHttpError && error.bulkRow && error.errorCode === null;
}

function sameProjection(a: Projection, b: Projection): boolean {
  return a.dataJson === b.dataJson && JSON.stringify(a.diversions) === JSON.stringify(b.diversions);
}

/** A state row's values after `pk`, as JSON texts joined by commas (sql.upsertColumns' order, then the typed columns); `data` is already JSON. */
function stateValues({ row, projection, typed }: Candidate): string {
  const aux = JSON.stringify(projection.diversions.map((d) => ({ path: d.path, value: d.value, reason: d.reason })));
  const changedAt = Math.floor(row.version / 1000);
  return `${projection.dataJson},${aux},${JSON.stringify(row.data)},${row.deleted},${row.version},${JSON.stringify(paddedSeq(row.sequence))},${JSON.stringify(row.eventId)},${JSON.stringify(row.eventName)},${row.ttl},${row.keysOnly},${JSON.stringify(row.sourceTable)},${changedAt},${Date.now()}${typed.json.map((v) => `,${v}`).join('')}`;
}

/** One row of `bulk_args` as JSON text, in `sql.upsertColumns` order. */
function upsertArgs(c: Candidate): string {
  return `[${JSON.stringify(c.row.pk)},${stateValues(c)}]`;
}

/** sql.updateStoredRows' arguments. */
function updateArgs(c: Candidate, [seqNo, primaryTerm]: readonly [number, number]): string {
  return `[${stateValues(c)},${JSON.stringify(c.row.pk)},${seqNo},${primaryTerm}]`;
}

function changeArgs(c: ChangeLogRow): string {
  return JSON.stringify([
    c.eventId,
    c.pk,
    c.eventName,
    c.version,
    paddedSeq(c.sequence),
    c.ttl,
    c.newImage,
    c.oldImage,
    c.sourceTable,
    Math.floor(c.version / 1000),
    Date.now(),
  ]);
}
