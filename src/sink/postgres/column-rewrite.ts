import type { ColumnSpec } from '../../config/column-map.js';
import type { ColumnRewrite, SinkError, StoredItem } from '../sink.js';
import { throwingSinkErrors } from '../sql/sink-errors.js';
import type { SqlExecutor } from './sql-executor.js';
import * as sql from './statements.js';

interface StoredItemRow extends Record<string, unknown> {
  pk: string;
  item: string;
  version: string;
  seq: string | null;
  event_id: string;
  cursor: string;
}

export interface RewriteTarget {
  readonly schema: string;
  readonly table: string;
  readonly layout: sql.KeyLayout;
  readonly columns: readonly ColumnSpec[];
}

/**
 * Rematerialize in PostgreSQL (server and embedded): pages in primary-key order, written back
 * under the row's (version, seq, event_id) as read, which is what `seen` holds.
 */
export async function postgresColumnRewrite(db: SqlExecutor, target: RewriteTarget, sinkError: (error: unknown) => SinkError): Promise<ColumnRewrite> {
  const { schema, table, layout, columns } = target;
  const failing = <A extends unknown[], R>(run: (...args: A) => Promise<R>) => throwingSinkErrors(run, sinkError);
  const [counted] = await db.query<{ n: string }>(sql.countRows(schema, table));
  const page = sql.selectStoredItems(schema, table, layout, 'page');
  const byKeys = sql.selectStoredItems(schema, table, layout, 'keys');
  const update = sql.updateTypedColumns(schema, table, layout, columns);
  return {
    estimatedRows: Number(counted?.n ?? 0),
    page: failing(async (after: string | null, limit: number) => {
      const rows = await db.query<StoredItemRow>(page, [after ?? '', limit]);
      return { rows: rows.map(storedItem), next: rows.length < limit ? null : rows.at(-1)!.cursor };
    }),
    reread: failing(async (pks: readonly string[]) => (await db.query<StoredItemRow>(byKeys, [JSON.stringify(pks)])).map(storedItem)),
    write: failing(async (rows) => {
      if (rows.length === 0) return { written: [], unstorable: 0 };
      const input = rows.map(
        ({ stored, columns: typed }) => `{"pk":${JSON.stringify(stored.pk)},${stored.seen},"cols":${sql.colsJson(columns, typed.values)}}`,
      );
      const written = new Set((await db.query<{ pk: string }>(update, [`[${input.join(',')}]`])).map((r) => r.pk));
      return { written: rows.map(({ stored }) => written.has(stored.pk)), unstorable: 0 };
    }),
  };
}

/** `seen` is the gate as JSON members of the update's input row: exact, as PostgreSQL printed it. */
function storedItem(r: StoredItemRow): StoredItem {
  const seen = `"version":${r.version},"seq":${r.seq === null ? 'null' : JSON.stringify(r.seq)},"event_id":${JSON.stringify(r.event_id)}`;
  return { pk: r.pk, item: r.item, seen };
}
