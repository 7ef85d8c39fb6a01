import type { ColumnSpec } from '../../config/column-map.js';
import { qualified, quoteIdent, quoteLiteral } from './identifiers.js';
import { CRATE_TYPES } from './typed-columns.js';
import { changeLogSuffix } from '../sql/identifiers.js';
import { STATE_COLUMNS } from '../sql/state-columns.js';

/**
 * The SQL the CrateDB sink emits, sent to `/_sql` with `bulk_args` (one statement, many rows).
 * https://cratedb.com/docs/crate/reference/en/latest/interfaces/http.html#bulk-operations
 * Every statement here is checked against CrateDB's grammar in the tests.
 */

export interface TableSettings {
  readonly shards: number | null;
  readonly replicas: string | null;
}

export { changeLogSuffix };

export function withClause(settings: TableSettings): string {
  const shards = settings.shards === null ? '' : `\nCLUSTERED INTO ${settings.shards} SHARDS`;
  const replicas = settings.replicas === null ? '' : `\nWITH ("number_of_replicas" = '${settings.replicas.replaceAll("'", "''")}')`;
  return shards + replicas;
}

/**
 * `data` holds what CrateDB can store exactly and index; `aux` (not indexed) keeps, exactly, each
 * value `data` cannot hold, with its path; `item` is the whole item as exact JSON text.
 * `seq` is the SequenceNumber left-padded to 40 digits, so that text order is numeric order.
 */
export function createStateTable(schema: string, table: string, settings: TableSettings): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (
  "pk" TEXT PRIMARY KEY,
  "data" OBJECT(DYNAMIC),
  "aux" ARRAY(OBJECT(IGNORED)),
  "item" TEXT INDEX OFF STORAGE WITH (columnstore = false),
  "deleted" BOOLEAN NOT NULL,
  "version" BIGINT NOT NULL,
  "seq" TEXT NOT NULL,
  "event_id" TEXT NOT NULL,
  "event_name" TEXT NOT NULL,
  "ttl_expired" BOOLEAN NOT NULL,
  "keys_only" BOOLEAN NOT NULL,
  "source_table" TEXT NOT NULL,
  "changed_at" TIMESTAMP WITH TIME ZONE NOT NULL,
  "written_at" TIMESTAMP WITH TIME ZONE NOT NULL
)${withClause(settings)}`;
}

export function createChangeLogTable(schema: string, table: string, settings: TableSettings): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table + changeLogSuffix)} (
  "event_id" TEXT PRIMARY KEY,
  "pk" TEXT NOT NULL,
  "event_name" TEXT NOT NULL,
  "version" BIGINT NOT NULL,
  "seq" TEXT NOT NULL,
  "ttl_expired" BOOLEAN NOT NULL,
  "new_image" TEXT INDEX OFF STORAGE WITH (columnstore = false),
  "old_image" TEXT INDEX OFF STORAGE WITH (columnstore = false),
  "source_table" TEXT NOT NULL,
  "changed_at" TIMESTAMP WITH TIME ZONE NOT NULL,
  "written_at" TIMESTAMP WITH TIME ZONE NOT NULL
)${withClause(settings)}`;
}

export function createDeadLetterTable(schema: string, table: string, settings: TableSettings): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (
  "id" TEXT PRIMARY KEY,
  "request_id" TEXT NOT NULL,
  "record_index" INTEGER NOT NULL,
  "source" TEXT NOT NULL,
  "source_table" TEXT,
  "payload" TEXT INDEX OFF STORAGE WITH (columnstore = false),
  "error" TEXT NOT NULL,
  "received_at" TIMESTAMP WITH TIME ZONE NOT NULL
)${withClause(settings)}`;
}

/**
 * COLUMN_MAP's typed columns a table lacks, added in one statement. CrateDB 6.4.3 has no
 * `ADD COLUMN IF NOT EXISTS` (ParsingException): the sink reads the table's columns first.
 */
export function addTypedColumns(schema: string, table: string, columns: readonly ColumnSpec[]): string {
  return `ALTER TABLE ${qualified(schema, table)}
  ${columns.map((c) => `ADD COLUMN ${quoteIdent(c.name)} ${CRATE_TYPES[c.type]}`).join(',\n  ')}`;
}

/** A table's top-level columns (sub-columns are spelled `data['a']`). */
export const selectTableColumns = `SELECT column_name FROM information_schema.columns
WHERE table_schema = ? AND table_name = ? AND column_name NOT LIKE '%[%'`;

/** Parameter order of `upsertRows` (then COLUMN_MAP's typed columns, in the map's order). */
export const upsertColumns = STATE_COLUMNS;

/**
 * Version-gated upsert without WHERE (CrateDB has none in ON CONFLICT, crate#9724): each
 * assignment is guarded by the same CASE, and every SET expression sees the old row, so the row
 * changes only when the incoming (version, seq, event_id) is greater. `pk` is never assigned
 * (crate#17834). A keys-only change keeps the stored item.
 * `rewrite`: the same change may replace itself too (greater or equal), to write a row again
 * with a better projection of the same item once CrateDB has shown it cast a value.
 */
export function upsertRows(schema: string, table: string, rewrite = false, typed: readonly ColumnSpec[] = []): string {
  const same = rewrite ? '>=' : '>';
  const newer = `(excluded."version" > "version" OR (excluded."version" = "version" AND (excluded."seq" > "seq" OR (excluded."seq" = "seq" AND excluded."event_id" ${same} "event_id"))))`;
  const keepItem = `(excluded."keys_only" AND NOT "deleted")`;
  const assign = (column: string, value = `excluded.${quoteIdent(column)}`) =>
    `${quoteIdent(column)} = CASE WHEN ${newer} THEN ${value} ELSE ${quoteIdent(column)} END`;
  const itemColumn = (column: string) => assign(column, `CASE WHEN ${keepItem} THEN ${quoteIdent(column)} ELSE excluded.${quoteIdent(column)} END`);
  // Typed columns are computed from the item: a keys-only change keeps them as it keeps the item.
  const typedSets = typed.map((c) => itemColumn(c.name));
  const sets = [itemColumn('data'), itemColumn('aux'), itemColumn('item'), ...typedSets, ...upsertColumns.slice(4).map((c) => assign(c))];
  return `${insertRows(schema, table, typed)}
ON CONFLICT ("pk") DO UPDATE SET
  ${sets.join(',\n  ')}`;
}

/**
 * A stored row replaced by a newer change, compare-and-set: the columns after `pk` (then the
 * typed ones), the key, and the `_seq_no`/`_primary_term` the lookup that gated it read. A row
 * written since fails with 4092, a gone one with 40411 (as updateTypedColumns). Several times
 * cheaper for CrateDB than the upsert's CASE on every column (5,000 rows: about 200 to 750 ms
 * against 1,000 to 1,300 on 6.4.3), and as safe, since nothing else can have changed the row.
 */
export function updateStoredRows(schema: string, table: string, typed: readonly ColumnSpec[] = []): string {
  const columns = [...upsertColumns.slice(1), ...typed.map((c) => c.name)];
  return `UPDATE ${qualified(schema, table)} SET ${columns.map((c) => `${quoteIdent(c)} = ?`).join(', ')}
WHERE "pk" = ? AND "_seq_no" = ? AND "_primary_term" = ?`;
}

/** A plain insert of rows not stored yet: a key already there fails its row with 4091 (observed on 6.4.3). */
export function insertRows(schema: string, table: string, typed: readonly ColumnSpec[] = []): string {
  const columns = [...upsertColumns, ...typed.map((c) => c.name)];
  return `INSERT INTO ${qualified(schema, table)} (${columns.map(quoteIdent).join(', ')})
VALUES (${columns.map(() => '?').join(', ')})`;
}

export const changeLogColumns = [
  'event_id',
  'pk',
  'event_name',
  'version',
  'seq',
  'ttl_expired',
  'new_image',
  'old_image',
  'source_table',
  'changed_at',
  'written_at',
] as const;

export function insertChangeLog(schema: string, table: string): string {
  return `INSERT INTO ${qualified(schema, table + changeLogSuffix)} (${changeLogColumns.map(quoteIdent).join(', ')})
VALUES (${changeLogColumns.map(() => '?').join(', ')})
ON CONFLICT ("event_id") DO NOTHING`;
}

export const deadLetterColumns = ['id', 'request_id', 'record_index', 'source', 'source_table', 'payload', 'error', 'received_at'] as const;

export function insertDeadLetters(schema: string, table: string): string {
  return `INSERT INTO ${qualified(schema, table)} (${deadLetterColumns.map(quoteIdent).join(', ')})
VALUES (${deadLetterColumns.map(() => '?').join(', ')})
ON CONFLICT ("id") DO NOTHING`;
}

/**
 * The stored gate keys of the rows about to be written. Only a primary-key filter with literals
 * is a real-time lookup: with a parameter (`pk = ANY(?)`) CrateDB runs a search, which sees only
 * refreshed rows (observed on 6.4.3: 2 of 60 rows written just before; literals: 60 of 60).
 */
export function selectGateKeys(schema: string, table: string, pks: readonly string[]): string {
  return selectByKeys(schema, table, gateColumns, pks);
}

/** The gate, and what a stored row's compare-and-set update needs (updateStoredRows). */
export const gateColumns = ['pk', 'version', 'seq', 'event_id', '_seq_no', '_primary_term'] as const;

/** Columns of the rows of these keys, as a real-time lookup (keys as literals: see selectGateKeys). */
export function selectByKeys(schema: string, table: string, columns: readonly string[], pks: readonly string[]): string {
  return `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${qualified(schema, table)} WHERE "pk" = ANY([${pks.map(quoteLiteral).join(', ')}])`;
}

/** The `data` sub-columns CrateDB has created so far, with their types. */
export const selectDataColumns = `SELECT column_name, data_type FROM information_schema.columns
WHERE table_schema = ? AND table_name = ? AND column_name LIKE 'data[%'`;

/** The states of a table's primary shards (STARTED once writes can go to them). */
export const primaryShardStates = `SELECT state FROM sys.shards WHERE schema_name = ? AND table_name = ? AND "primary" = TRUE`;

export const listStateTables = `SELECT table_name FROM information_schema.columns
WHERE table_schema = ? AND column_name IN ('pk', 'deleted', 'version', 'event_id', 'keys_only')
GROUP BY table_name HAVING count(*) = 5`;

export function liveRowsBelow(schema: string, table: string): string {
  return `SELECT "pk", "version" FROM ${qualified(schema, table)}
WHERE "deleted" = FALSE AND "source_table" = ? AND "version" < ?`;
}

/** Only primary-key lookups see writes before a refresh: a scan by version needs one. */
export function refreshTable(schema: string, table: string): string {
  return `REFRESH TABLE ${qualified(schema, table)}`;
}

/**
 * Tombstones to purge, found by a search (after a refresh), each with the version of the document
 * it saw: the delete below removes it only if no write came since (a revived item stays).
 */
export function purgeCandidates(schema: string, table: string, limit: number): string {
  return `SELECT "pk", "_seq_no", "_primary_term" FROM ${qualified(schema, table)}
WHERE "deleted" = TRUE AND "version" < ? LIMIT ${limit}`;
}

/** Optimistic concurrency: a row written since it was read fails with 4092, a gone one with 40411. */
export function deleteUnchanged(schema: string, table: string): string {
  return `DELETE FROM ${qualified(schema, table)} WHERE "pk" = ? AND "_seq_no" = ? AND "_primary_term" = ?`;
}

export function countRows(schema: string, table: string): string {
  return `SELECT count(*) FROM ${qualified(schema, table)}`;
}

/** What rematerialize reads of a row: its item, and the document version it read (for the update below). */
export const storedItemColumns = ['pk', 'item', '_seq_no', '_primary_term'] as const;

/**
 * A page of rematerialize, in key order after `?` ('' before the first), at most `?` rows: a
 * search, which sees the rows of the last refresh. Rows without an item were not written by the sink.
 */
export function selectStoredItems(schema: string, table: string): string {
  return `SELECT ${storedItemColumns.map(quoteIdent).join(', ')} FROM ${qualified(schema, table)}
WHERE "pk" > ? AND "item" IS NOT NULL ORDER BY "pk" LIMIT ?`;
}

/**
 * Rematerialize's compare-and-set: the typed columns (in COLUMN_MAP's order), then the key and
 * the `_seq_no`/`_primary_term` the row was read with. A row written since fails with 4092, a gone
 * one with 40411 (observed on 6.4.3). Guarding by `version` instead is not safe: on 6.4.3,
 * `WHERE "pk" = ? AND "version" = <the old one>` updated (rowcount 1) a row the stream had
 * changed since, before a refresh.
 */
export function updateTypedColumns(schema: string, table: string, columns: readonly ColumnSpec[]): string {
  return `UPDATE ${qualified(schema, table)} SET ${columns.map((c) => `${quoteIdent(c.name)} = ?`).join(', ')}
WHERE "pk" = ? AND "_seq_no" = ? AND "_primary_term" = ?`;
}
