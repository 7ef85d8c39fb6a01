import type { ColumnSpec } from '../../config/column-map.js';
import type { ChangeLogRow, DeadLetter, RowWrite, TableWrite, WriteBatch } from '../../translate/write-batch.js';
import type { ClaimResult, ColumnRewrite, RowOutcome, Sink, SinkWriteResult, StoredVersion, TableResult } from '../sink.js';
import { chunkRows } from '../sql/chunk-rows.js';
import { deadLetterId, rowDeadLetter } from '../sql/dead-letters.js';
import { writeIsolatingFailures } from '../sql/isolate-failures.js';
import { answers, errorMessage, rowErrorTest, sinkErrorOf } from '../sql/sink-errors.js';
import { TableRegistry } from '../sql/table-registry.js';
import { writeBatch } from '../sql/write-loop.js';
import { classifyPostgresError, CREATE_RACE_CODES, sqlState, TABLE_CHANGED_CODES, UNDEFINED_TABLE } from './classify-error.js';
import { indexKeyRefusal, jsonbRefusal } from './predicted-refusals.js';
import { checkRow, ROW_OVERHEAD_BYTES, rowJson, rowSize, rowsParameter } from './row-parameters.js';
import { claimNames, createTableOwnersTable } from './table-owners.js';
import { postgresColumnRewrite } from './column-rewrite.js';
import type { SqlExecutor } from './sql-executor.js';
import * as sql from './statements.js';

export interface PostgresSinkOptions {
  readonly kind: 'postgres' | 'pglite';
  readonly schema: string;
  readonly deadLetterTable: string;
  readonly changeLog: boolean;
  /** A table write above these bounds is split into several statements. */
  readonly maxRowsPerStatement: number;
  readonly maxBytesPerStatement: number;
}

/** A row the upsert did not apply: its place in the statement's rows (from 1), and whether it was the stored event. */
interface NotAppliedRow extends Record<string, unknown> {
  n: number;
  duplicate: boolean;
}

// Writing rows one by one in one statement costs about 0.3 ms a row: after a few failed
// halvings that is cheaper than halving on (each level re-sends every row).
const EACH_ROW_AFTER_SPLITS = 4;

/** A sink for PostgreSQL, over a server connection pool or the embedded PGlite alike. */
export class PostgresSink implements Sink {
  readonly kind: string;
  private readonly tables: TableRegistry;
  private readonly layouts = new Map<string, sql.KeyLayout>();
  /** COLUMN_MAP's columns of each state table this process ensured. */
  private readonly typed = new Map<string, readonly ColumnSpec[]>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly options: PostgresSinkOptions,
  ) {
    this.kind = options.kind;
    this.tables = new TableRegistry({
      isMissing: (error) => TABLE_CHANGED_CODES.has(sqlState(error) ?? ''),
      isCreateRace: (error) => CREATE_RACE_CODES.has(sqlState(error) ?? ''),
      before: (key) =>
        key === 'schema' || options.schema === 'public' ? Promise.resolve() : this.ensure('schema', () => this.db.query(sql.createSchema(options.schema))),
    });
  }

  write(batch: WriteBatch): Promise<SinkWriteResult> {
    return writeBatch(batch, {
      writeTable: (table, requestId, refused) => this.writeTable(table, requestId, refused),
      writeDeadLetters: (letters) => this.writeDeadLetters(letters),
      sinkError: (error) => this.sinkError(error),
    });
  }

  private sinkError(error: unknown) {
    return sinkErrorOf(this.kind, error, classifyPostgresError(error));
  }

  async claimNames(names: readonly string[], sourceTable: string): Promise<ClaimResult> {
    try {
      const { schema } = this.options;
      await this.ensure('owners', () => this.db.query(createTableOwnersTable(schema)));
      return { ok: true, heldBy: await claimNames(this.db, schema, names, sourceTable) };
    } catch (error) {
      return { ok: false, error: this.sinkError(error) };
    }
  }

  ping(): Promise<boolean> {
    return answers(() => this.db.query('SELECT 1'));
  }

  async purgeTombstones(version: number): Promise<number> {
    const tables = await this.db.query<{ table_name: string }>(sql.listStateTables, [this.options.schema]);
    let purged = 0;
    for (const { table_name } of tables) {
      const rows = await this.db.query(`${sql.purgeTombstones(this.options.schema, table_name)} RETURNING pk`, [version]);
      purged += rows.length;
    }
    return purged;
  }

  async liveRowsBelow(table: string, sourceTable: string, version: number): Promise<StoredVersion[]> {
    try {
      const rows = await this.db.query<{ pk: string; version: string }>(sql.liveRowsBelow(this.options.schema, table), [sourceTable, version]);
      return rows.map((r) => ({ pk: r.pk, version: Number(r.version) }));
    } catch (error) {
      if (sqlState(error) === UNDEFINED_TABLE) return [];
      throw error;
    }
  }

  /** npm run rematerialize: the map's columns added where missing, then rows paged by primary key. */
  async rewriteColumns(table: string, columns: readonly ColumnSpec[]): Promise<ColumnRewrite | null> {
    const { schema } = this.options;
    try {
      const tables = await this.db.query<{ table_name: string }>(sql.listStateTables, [schema]);
      if (!tables.some((t) => t.table_name === table)) return null;
      // Not through ensureStateTable: a table this process ensured for writes may lack these columns still.
      if (columns.length > 0) await this.db.query(sql.addTypedColumns(schema, table, columns));
      const layout = await this.learnLayout(table);
      return await postgresColumnRewrite(this.db, { schema, table, layout, columns }, (error) => this.sinkError(error));
    } catch (error) {
      throw this.sinkError(error);
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async writeTable(table: TableWrite, requestId: string, failedRows: DeadLetter[]): Promise<TableResult> {
    await this.ensureStateTable(table.table, table.columns);
    let layout = this.layouts.get(table.table) ?? 'hashed';
    // A key too long for a table keyed by pk: unless the table was migrated meanwhile (README).
    if (layout === 'legacy' && table.rows.some((row) => legacyKeyRefusal(row.pk) !== null)) layout = await this.learnLayout(table.table);
    const outcomes: RowOutcome[] = new Array(table.rows.length);
    const refuse = (row: RowWrite, json: string, reason: string): RowOutcome => {
      const message = `${this.kind} refused the row: ${reason}`;
      failedRows.push(rowDeadLetter(requestId, row, json, message));
      return { outcome: 'dead_lettered', error: message };
    };
    // Refusals known in advance cost no statement; the rest are written, refused rows isolated.
    // Rows are named by their place in table.rows: no object per row, no JSON per row.
    const { rows, columns } = table;
    const writable: number[] = [];
    const unfitForLines = new Set<number>();
    for (let place = 0; place < rows.length; place++) {
      const row = rows[place]!;
      const check = checkRow(row, columns);
      const predicted = check.refusal ?? (layout === 'legacy' ? legacyKeyRefusal(row.pk) : null);
      if (predicted !== null) outcomes[place] = refuse(row, rowJson(row, columns), predicted);
      else {
        writable.push(place);
        if (!check.fitsLine) unfitForLines.add(place);
      }
    }
    const { maxRowsPerStatement, maxBytesPerStatement } = this.options;
    const sizeOf = (place: number) => rowSize(rows[place]!);
    for (const chunk of chunkRows(writable, sizeOf, maxRowsPerStatement, maxBytesPerStatement)) {
      const results = await writeIsolatingFailures(
        chunk,
        (places) => {
          const input = unfitForLines.size > 0 && places.some((p) => unfitForLines.has(p)) ? 'json' : 'lines';
          return this.retryOnChangedTable(table.table, () => this.upsert(table.table, input, rowsParameter(input, rows, places, columns), places.length));
        },
        isRowError,
        (place, error): RowOutcome => refuse(rows[place]!, rowJson(rows[place]!, columns), errorMessage(error)),
        {
          maxFailedSplits: EACH_ROW_AFTER_SPLITS,
          writeEach: async (places) => {
            const statement = sql.upsertRows(this.options.schema, table.table, this.layouts.get(table.table) ?? 'hashed', this.typed.get(table.table));
            const json = places.map((p) => rowJson(rows[p]!, columns));
            const answers = await this.retryOnChangedTable(table.table, () => this.writeEachRow(statement, json));
            // A row applied answers nothing.
            return answers.map((a, i) => (a.ok ? notAppliedOutcome(a.answer as NotAppliedRow | null) : refuse(rows[places[i]!]!, json[i]!, a.error)));
          },
        },
      );
      results.forEach((outcome, i) => (outcomes[chunk[i]!] = outcome));
    }
    if (table.changes.length > 0) await this.writeChangeLog(table, requestId, failedRows);
    return { table: table.table, outcomes };
  }

  /** The upsert of `count` rows given as `parameter` (of `input`): each row's outcome, in their order. */
  private async upsert(table: string, input: sql.RowInput, parameter: string, count: number): Promise<RowOutcome[]> {
    const statement = sql.upsertRows(this.options.schema, table, this.layouts.get(table) ?? 'hashed', this.typed.get(table), input);
    const notApplied = await this.db.query<NotAppliedRow>(statement, [parameter]);
    const outcomes: RowOutcome[] = new Array(count).fill(APPLIED);
    for (const r of notApplied) outcomes[r.n - 1] = notAppliedOutcome(r);
    return outcomes;
  }

  /** Each row (its JSON) on its own, in one statement: what each answered, or why it was refused. */
  private async writeEachRow(statement: string, json: readonly string[]): Promise<EachRowAnswer[]> {
    const { schema } = this.options;
    await this.ensure('each-row', () => this.db.query(sql.createEachRowFunction(schema)));
    const answers = await this.db.query<{ ordinal: number; answer: unknown; error: string | null }>(sql.writeEachRow(schema), [
      statement,
      `[${json.join(',')}]`,
    ]);
    return answers.map((a) => (a.error === null ? { ok: true, answer: a.answer } : { ok: false, error: a.error }));
  }

  private async writeChangeLog(table: TableWrite, requestId: string, failedRows: DeadLetter[]): Promise<void> {
    await this.ensure(`log:${table.table}`, () => this.db.query(sql.createChangeLogTable(this.options.schema, table.table)));
    const statement = sql.insertChangeLog(this.options.schema, table.table);
    const refuse = (row: ChangeLogRow, json: string, reason: string): false => {
      failedRows.push(rowDeadLetter(requestId, row, json, `${this.kind} refused the change-log row: ${reason}`));
      return false;
    };
    const writable: Serialized<ChangeLogRow>[] = [];
    table.changes.forEach((row, index) => {
      const json = changeJson(row);
      const predicted = jsonbRefusal(json) ?? indexKeyRefusal(row.eventId, 'the event id');
      if (predicted === null) writable.push({ index, row, json });
      else refuse(row, json, predicted);
    });
    const { maxRowsPerStatement, maxBytesPerStatement } = this.options;
    for (const chunk of chunkRows(writable, serializedSize, maxRowsPerStatement, maxBytesPerStatement)) {
      await writeIsolatingFailures(
        chunk,
        async (rows) => {
          await this.db.query(statement, [jsonArray(rows)]);
          return rows.map(() => true);
        },
        isRowError,
        (s, error) => refuse(s.row, s.json, errorMessage(error)),
        {
          maxFailedSplits: EACH_ROW_AFTER_SPLITS,
          writeEach: async (rows) =>
            (
              await this.writeEachRow(
                statement,
                rows.map((r) => r.json),
              )
            ).map((a, i) => a.ok || refuse(rows[i]!.row, rows[i]!.json, a.error)),
        },
      );
    }
  }

  private async writeDeadLetters(deadLetters: readonly DeadLetter[]): Promise<void> {
    const { schema, deadLetterTable } = this.options;
    await this.ensure(`dlq:${deadLetterTable}`, () => this.db.query(sql.createDeadLetterTable(schema, deadLetterTable)));
    const statement = sql.insertDeadLetters(schema, deadLetterTable);
    for (const chunk of chunkRows(
      deadLetters,
      (d) => d.payload.length + ROW_OVERHEAD_BYTES,
      this.options.maxRowsPerStatement,
      this.options.maxBytesPerStatement,
    )) {
      await this.db.query(statement, [deadLettersJson(chunk)]);
    }
  }

  private ensureStateTable(table: string, columns: readonly ColumnSpec[]): Promise<void> {
    this.typed.set(table, columns);
    return this.ensure(`state:${table}`, () => this.createStateTable(table));
  }

  private async createStateTable(table: string): Promise<void> {
    await this.db.query(sql.createStateTable(this.options.schema, table));
    // COLUMN_MAP's columns: added to the table when it lacks them (a column new in the map).
    const columns = this.typed.get(table) ?? [];
    if (columns.length > 0) await this.db.query(sql.addTypedColumns(this.options.schema, table, columns));
    await this.learnLayout(table);
  }

  private async learnLayout(table: string): Promise<sql.KeyLayout> {
    const hashed = await this.db.query(sql.selectKeyLayout, [this.options.schema, table]);
    const layout = hashed.length > 0 ? 'hashed' : 'legacy';
    this.layouts.set(table, layout);
    return layout;
  }

  private ensure(key: string, create: () => Promise<unknown>): Promise<void> {
    return this.tables.ensure(key, create);
  }

  /**
   * Someone dropped the table while we run, or migrated it to the hashed key (README): create it
   * again, or learn its layout again, and retry once.
   */
  private retryOnChangedTable<T>(table: string, run: () => Promise<T>): Promise<T> {
    return this.tables.recreateOnMissing(`state:${table}`, () => this.createStateTable(table), run);
  }
}

function legacyKeyRefusal(pk: string): string | null {
  const refusal = indexKeyRefusal(pk, 'the key');
  return refusal && `${refusal}: this table, created by an earlier version, is keyed by pk itself; README ("The tables") says how to migrate it`;
}

const isRowError = rowErrorTest(classifyPostgresError);

type EachRowAnswer = { readonly ok: true; readonly answer: unknown } | { readonly ok: false; readonly error: string };

// Outcomes without an error are the same objects for every row: nothing changes them.
const APPLIED: RowOutcome = Object.freeze({ outcome: 'applied' });
const DUPLICATE: RowOutcome = Object.freeze({ outcome: 'duplicate' });
const STALE: RowOutcome = Object.freeze({ outcome: 'stale' });

function notAppliedOutcome(answer: NotAppliedRow | null): RowOutcome {
  if (answer === null) return APPLIED;
  return answer.duplicate ? DUPLICATE : STALE;
}

/** A row with its place in the table write and its JSON, serialized once for check and write. */
interface Serialized<Row> {
  readonly index: number;
  readonly row: Row;
  readonly json: string;
}

function serializedSize(s: Serialized<unknown>): number {
  return s.json.length + ROW_OVERHEAD_BYTES;
}

function jsonArray(rows: readonly Serialized<unknown>[]): string {
  return `[${rows.map((r) => r.json).join(',')}]`;
}

function changeJson(r: ChangeLogRow): string {
  return (
    `{"event_id":${JSON.stringify(r.eventId)},"pk":${JSON.stringify(r.pk)},"event_name":${JSON.stringify(r.eventName)},` +
    `"version":${r.version},"seq":${r.sequence === null ? 'null' : `"${r.sequence}"`},"ttl":${r.ttl},` +
    `"new_image":${r.newImage ?? 'null'},"old_image":${r.oldImage ?? 'null'},"source_table":${JSON.stringify(r.sourceTable)}}`
  );
}

function deadLettersJson(rows: readonly DeadLetter[]): string {
  return JSON.stringify(
    rows.map((d) => ({
      id: deadLetterId(d),
      request_id: d.requestId,
      record_index: d.recordIndex,
      source: d.source,
      source_table: d.sourceTable,
      payload: storable(d.payload),
      error: storable(d.error),
    })),
  );
}

// PostgreSQL text cannot hold U+0000 nor a lone surrogate: spell them out so that the dead
// letter itself can always be stored.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function storable(text: string): string {
  return text.replace(UNSTORABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
