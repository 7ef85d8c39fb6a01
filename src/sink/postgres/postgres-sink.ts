import type { ChangeLogRow, DeadLetter, RowWrite, TableWrite, WriteBatch } from '../../translate/write-batch.js';
import { SinkError, type RowOutcome, type Sink, type SinkWriteResult, type StoredVersion, type TableResult } from '../sink.js';
import { chunkRows } from '../sql/chunk-rows.js';
import { deadLetterId, rowDeadLetter } from '../sql/dead-letters.js';
import { writeIsolatingFailures } from '../sql/isolate-failures.js';
import { classifyPostgresError, CREATE_RACE_CODES, sqlState, UNDEFINED_TABLE } from './classify-error.js';
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

interface UpsertResultRow extends Record<string, unknown> {
  pk: string;
  applied: boolean;
  duplicate: boolean;
}

const ROW_OVERHEAD_BYTES = 256;

/** A sink for PostgreSQL, over a server connection pool or the embedded PGlite alike. */
export class PostgresSink implements Sink {
  readonly kind: string;
  private readonly ready = new Map<string, Promise<void>>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly options: PostgresSinkOptions,
  ) {
    this.kind = options.kind;
  }

  async write(batch: WriteBatch): Promise<SinkWriteResult> {
    try {
      const failedRows: DeadLetter[] = [];
      const tables = await Promise.all(batch.tables.map((table) => this.writeTable(table, batch.requestId, failedRows)));
      const deadLetters = [...batch.deadLetters, ...failedRows];
      if (deadLetters.length > 0) await this.writeDeadLetters(deadLetters);
      return { ok: true, tables };
    } catch (error) {
      const kind = classifyPostgresError(error);
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, error: new SinkError(`${this.kind}: ${message}`, kind !== 'fatal', { cause: error }) };
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.db.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
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

  close(): Promise<void> {
    return this.db.close();
  }

  private async writeTable(table: TableWrite, requestId: string, failedRows: DeadLetter[]): Promise<TableResult> {
    await this.ensure(`state:${table.table}`, () => this.createStateTable(table.table));
    const { maxRowsPerStatement, maxBytesPerStatement } = this.options;
    const outcomes: RowOutcome[] = [];
    for (const chunk of chunkRows(table.rows, rowSize, maxRowsPerStatement, maxBytesPerStatement)) {
      const results = await writeIsolatingFailures(
        chunk,
        (rows) => this.retryOnMissingTable(table.table, () => this.upsert(table.table, rows)),
        isRowError,
        (row, error): RowOutcome => {
          const message = `${this.kind} refused the row: ${errorMessage(error)}`;
          failedRows.push(rowDeadLetter(requestId, row, rowsJson([row]).slice(1, -1), message));
          return { outcome: 'dead_lettered', error: message };
        },
      );
      outcomes.push(...results);
    }
    if (table.changes.length > 0) await this.writeChangeLog(table, requestId, failedRows);
    return { table: table.table, outcomes };
  }

  private async upsert(table: string, rows: readonly RowWrite[]): Promise<RowOutcome[]> {
    const result = await this.db.query<UpsertResultRow>(sql.upsertRows(this.options.schema, table), [rowsJson(rows)]);
    const byPk = new Map(result.map((r) => [r.pk, r]));
    return rows.map((row): RowOutcome => {
      const r = byPk.get(row.pk);
      if (r?.applied) return { outcome: 'applied' };
      return { outcome: r?.duplicate ? 'duplicate' : 'stale' };
    });
  }

  private async writeChangeLog(table: TableWrite, requestId: string, failedRows: DeadLetter[]): Promise<void> {
    await this.ensure(`log:${table.table}`, () => this.db.query(sql.createChangeLogTable(this.options.schema, table.table)));
    const statement = sql.insertChangeLog(this.options.schema, table.table);
    const { maxRowsPerStatement, maxBytesPerStatement } = this.options;
    for (const chunk of chunkRows(table.changes, changeSize, maxRowsPerStatement, maxBytesPerStatement)) {
      await writeIsolatingFailures(
        chunk,
        async (rows) => {
          await this.db.query(statement, [changesJson(rows)]);
          return rows.map(() => true);
        },
        isRowError,
        (row, error) => {
          const message = `${this.kind} refused the change-log row: ${errorMessage(error)}`;
          failedRows.push(rowDeadLetter(requestId, row, changesJson([row]).slice(1, -1), message));
          return false;
        },
      );
    }
  }

  private async writeDeadLetters(deadLetters: readonly DeadLetter[]): Promise<void> {
    const { schema, deadLetterTable } = this.options;
    await this.ensure(`dlq:${deadLetterTable}`, () => this.db.query(sql.createDeadLetterTable(schema, deadLetterTable)));
    const statement = sql.insertDeadLetters(schema, deadLetterTable);
    for (const chunk of chunkRows(deadLetters, (d) => d.payload.length + ROW_OVERHEAD_BYTES, this.options.maxRowsPerStatement, this.options.maxBytesPerStatement)) {
      await this.db.query(statement, [deadLettersJson(chunk)]);
    }
  }

  private async createStateTable(table: string): Promise<void> {
    await this.db.query(sql.createStateTable(this.options.schema, table));
  }

  /** Runs `create` once per process; a failed attempt is forgotten so the next delivery tries again. */
  private ensure(key: string, create: () => Promise<unknown>): Promise<void> {
    let pending = this.ready.get(key);
    if (!pending) {
      const schemaReady = key === 'schema' ? Promise.resolve() : this.createSchemaOnce();
      pending = schemaReady
        .then(() => create())
        .then(
          () => undefined,
          (error: unknown) => {
            if (CREATE_RACE_CODES.has(sqlState(error) ?? '')) return undefined;
            this.ready.delete(key);
            throw error;
          },
        );
      this.ready.set(key, pending);
    }
    return pending;
  }

  private createSchemaOnce(): Promise<void> {
    if (this.options.schema === 'public') return Promise.resolve();
    return this.ensure('schema', () => this.db.query(sql.createSchema(this.options.schema)));
  }

  /** Someone dropped the table while we run: create it again and retry once. */
  private async retryOnMissingTable<T>(table: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (sqlState(error) !== UNDEFINED_TABLE) throw error;
      this.ready.delete(`state:${table}`);
      await this.ensure(`state:${table}`, () => this.createStateTable(table));
      return run();
    }
  }
}

function isRowError(error: unknown): boolean {
  return classifyPostgresError(error) === 'row';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function rowSize(row: RowWrite): number {
  return row.data.length + row.pk.length + ROW_OVERHEAD_BYTES;
}

function changeSize(row: ChangeLogRow): number {
  return (row.newImage?.length ?? 0) + (row.oldImage?.length ?? 0) + row.pk.length + ROW_OVERHEAD_BYTES;
}

// Rows are serialized by hand: `data` is already JSON text with exact numbers, and must not be
// parsed into JS numbers on the way.
function rowsJson(rows: readonly RowWrite[]): string {
  const parts = rows.map(
    (r) =>
      `{"pk":${JSON.stringify(r.pk)},"data":${r.data},"deleted":${r.deleted},"version":${r.version},` +
      `"seq":${r.sequence === null ? 'null' : `"${r.sequence}"`},"event_id":${JSON.stringify(r.eventId)},` +
      `"event_name":${JSON.stringify(r.eventName)},"ttl":${r.ttl},"keys_only":${r.keysOnly},` +
      `"source_table":${JSON.stringify(r.sourceTable)}}`,
  );
  return `[${parts.join(',')}]`;
}

function changesJson(rows: readonly ChangeLogRow[]): string {
  const parts = rows.map(
    (r) =>
      `{"event_id":${JSON.stringify(r.eventId)},"pk":${JSON.stringify(r.pk)},"event_name":${JSON.stringify(r.eventName)},` +
      `"version":${r.version},"seq":${r.sequence === null ? 'null' : `"${r.sequence}"`},"ttl":${r.ttl},` +
      `"new_image":${r.newImage ?? 'null'},"old_image":${r.oldImage ?? 'null'},"source_table":${JSON.stringify(r.sourceTable)}}`,
  );
  return `[${parts.join(',')}]`;
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
