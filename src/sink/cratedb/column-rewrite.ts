import type { ColumnSpec } from '../../config/column-map.js';
import type { ColumnRewrite, SinkError, StoredItem } from '../sink.js';
import { throwingSinkErrors } from '../sql/sink-errors.js';
import { bulkRowError, DOCUMENT_MISSING, VERSION_CONFLICT } from './classify-error.js';
import type { CrateDbClient } from './cratedb-client.js';
import { bulkRefreshingUnreadable } from './unreadable-source.js';
import * as sql from './statements.js';
import { crateColumnValues } from './typed-columns.js';

export interface RewriteTarget {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly ColumnSpec[];
  /** A real-time lookup of these columns of the rows of `pks` (split to fit the statement length). */
  readonly lookUp: (columns: readonly string[], pks: readonly string[]) => Promise<unknown[][]>;
}

/**
 * Rematerialize in CrateDB: pages are searches over the table as the last refresh left it (the
 * caller refreshes it first); each row is written back only while it is the document that was
 * read (`_seq_no`, `_primary_term`), which is what `seen` holds. Rows the stream writes after the
 * refresh carry the columns of its map already.
 */
export async function crateColumnRewrite(client: CrateDbClient, target: RewriteTarget, sinkError: (error: unknown) => SinkError): Promise<ColumnRewrite> {
  const { schema, table, columns } = target;
  const failing = <A extends unknown[], R>(run: (...args: A) => Promise<R>) => throwingSinkErrors(run, sinkError);
  const { rows: counted } = await client.execute(sql.countRows(schema, table));
  const page = sql.selectStoredItems(schema, table);
  const update = sql.updateTypedColumns(schema, table, columns);
  return {
    estimatedRows: Number(counted[0]?.[0] ?? 0),
    page: failing(async (after: string | null, limit: number) => {
      const { rows } = await client.execute(page, [after ?? '', limit]);
      return { rows: rows.map(storedItem), next: rows.length < limit ? null : String(rows.at(-1)![0]) };
    }),
    reread: failing(async (pks: readonly string[]) => (await target.lookUp(sql.storedItemColumns, pks)).filter(([, item]) => item != null).map(storedItem)),
    write: failing(async (rows) => {
      if (rows.length === 0) return { written: [], unstorable: 0 };
      const values = rows.map(({ columns: typed }) => crateColumnValues(columns, typed.values));
      const args = rows.map(({ stored }, i) => `[${values[i]!.json.join(',')},${JSON.stringify(stored.pk)},${stored.seen}]`);
      const { results } = await bulkRefreshingUnreadable(client, sql.refreshTable(schema, table), update, args);
      if (!Array.isArray(results) || results.length !== rows.length)
        throw new Error(`bulk update answered ${results?.length ?? 'no'} results for ${rows.length} rows`);
      const written = results.map((result) => {
        if (result.rowcount > 0) return true;
        // Written (4092) or deleted (40411) since it was read: the stream's write stands.
        if (result.error?.code === VERSION_CONFLICT || result.error?.code === DOCUMENT_MISSING) return false;
        throw bulkRowError(result.error);
      });
      const unstorable = values.reduce((sum, v, i) => sum + (written[i] ? v.unconverted : 0), 0);
      return { written, unstorable };
    }),
  };
}

/** A row in `storedItemColumns` order; `seen` is its `_seq_no, _primary_term`, as the update's last arguments. */
function storedItem([pk, item, seqNo, primaryTerm]: unknown[]): StoredItem {
  return { pk: String(pk), item: String(item), seen: `${Number(seqNo)},${Number(primaryTerm)}` };
}
