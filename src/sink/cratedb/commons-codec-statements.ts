import type { ColumnSpec } from '../../config/column-map.js';
import type { KeyColumn } from './commons-codec-layout.js';
import { qualified, quoteIdent } from './identifiers.js';
import { withClause, type TableSettings } from './statements.js';
import { CRATE_TYPES } from './typed-columns.js';

/**
 * The SQL of LAYOUT=commons-codec. The user's table is the one commons-codec's
 * `DynamoDBCDCTranslator.sql_ddl` creates, plus this service's gate columns (version, seq,
 * event_id: null in rows commons-codec wrote) and COLUMN_MAP's typed columns. The exact state of
 * each item, and the version gate, live in `<table>__cdc_state` (the cratedb layout's table).
 */

export const STATE_SUFFIX = '__cdc_state';

/** The name of a user table's state table. */
export function stateTableOf(table: string): string {
  return table + STATE_SUFFIX;
}

/** The gate columns this service adds to a commons-codec table, in `upsertUserRows` order after `pk`, `data`, `aux`. */
export const GATE_COLUMNS = [
  ['version', 'BIGINT'],
  ['seq', 'TEXT'],
  ['event_id', 'TEXT'],
] as const;

export function createUserTable(schema: string, table: string, keys: readonly KeyColumn[], settings: TableSettings): string {
  const pk = keys.map((k) => `${quoteIdent(k.name)} ${k.type} PRIMARY KEY`).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (
  "pk" OBJECT(STRICT) AS (${pk}),
  "data" OBJECT(DYNAMIC),
  "aux" OBJECT(IGNORED),
  ${GATE_COLUMNS.map(([name, type]) => `${quoteIdent(name)} ${type}`).join(',\n  ')}
)${withClause(settings)}`;
}

/** Gate and COLUMN_MAP columns an adopted (or older) table lacks, in one statement (6.4.3 has no ADD COLUMN IF NOT EXISTS). */
export function addUserColumns(schema: string, table: string, columns: readonly { name: string; type: string }[]): string {
  return `ALTER TABLE ${qualified(schema, table)}
  ${columns.map((c) => `ADD COLUMN ${quoteIdent(c.name)} ${c.type}`).join(',\n  ')}`;
}

/** Every column the user table needs beyond `pk`, `data` and `aux`, with its CrateDB type. */
export function userColumns(typed: readonly ColumnSpec[]): { name: string; type: string }[] {
  return [...GATE_COLUMNS.map(([name, type]) => ({ name, type })), ...typed.map((c) => ({ name: c.name, type: CRATE_TYPES[c.type] }))];
}

/** The key sub-columns of an existing table's `pk` (`pk['device']`, `text`). */
export const selectKeyColumns = `SELECT column_name, data_type FROM information_schema.columns
WHERE table_schema = ? AND table_name = ? AND column_name LIKE 'pk[%'`;

/** `pk['device']`, `text` rows → key columns. */
export function keyColumnsFrom(rows: readonly (readonly unknown[])[]): KeyColumn[] {
  return rows.flatMap(([name, type]) => {
    const match = /^pk\['(.*)'\]$/.exec(String(name));
    return match ? [{ name: match[1]!, type: /int/i.test(String(type)) ? 'BIGINT' : 'TEXT' } as KeyColumn] : [];
  });
}

/**
 * The live projection, version-gated like the state table's upsert: a row changes only when the
 * incoming (version, seq, event_id) is at least the stored one (equal: the same change written
 * again, which heals a crash between the state write and this one), or the row has no gate
 * (written by commons-codec). ON CONFLICT names each key sub-column (observed on 6.4.3: `(pk)`
 * is refused, "Number of conflict targets did not match the number of primary key columns").
 */
export function upsertUserRows(schema: string, table: string, keys: readonly KeyColumn[], typed: readonly ColumnSpec[]): string {
  const columns = writtenColumns(typed);
  const newer = `("version" IS NULL OR excluded."version" > "version" OR (excluded."version" = "version" AND (excluded."seq" > "seq" OR (excluded."seq" = "seq" AND excluded."event_id" >= "event_id"))))`;
  const sets = columns.slice(1).map((c) => `${quoteIdent(c)} = CASE WHEN ${newer} THEN excluded.${quoteIdent(c)} ELSE ${quoteIdent(c)} END`);
  return `${insertUserRows(schema, table, typed)}
ON CONFLICT (${keys.map((k) => `"pk"[${literal(k.name)}]`).join(', ')}) DO UPDATE SET
  ${sets.join(',\n  ')}`;
}

/** A plain insert of user rows (upsertUserRows' arguments): a key already there fails its row (4091). */
export function insertUserRows(schema: string, table: string, typed: readonly ColumnSpec[]): string {
  const columns = writtenColumns(typed);
  return `INSERT INTO ${qualified(schema, table)} (${columns.map(quoteIdent).join(', ')})
VALUES (${columns.map(() => '?').join(', ')})`;
}

/** The columns a user row is written with, in upsertArgs' order. */
function writtenColumns(typed: readonly ColumnSpec[]): string[] {
  return ['pk', 'data', 'aux', ...GATE_COLUMNS.map(([name]) => name), ...typed.map((c) => c.name)];
}

/**
 * Removes a deleted item's projection by key alone: a DELETE with any other condition runs as a
 * search, which misses rows written since the last refresh (observed on 6.4.3: rowcount 0 for a
 * row just written; 1 after REFRESH TABLE). The state re-read afterwards puts back a newer item.
 */
export function deleteUserRow(schema: string, table: string, keys: readonly KeyColumn[]): string {
  return `DELETE FROM ${qualified(schema, table)} WHERE ${keys.map((k) => `"pk"[${literal(k.name)}] = ?`).join(' AND ')}`;
}

/** The state rows' gates, and whether each is a tombstone, by a real-time lookup (literal keys). */
export function selectStateGates(schema: string, state: string, pks: readonly string[], quote: (pk: string) => string): string {
  return `SELECT "pk", "version", "seq", "event_id", "deleted" FROM ${qualified(schema, state)} WHERE "pk" = ANY([${pks.map(quote).join(', ')}])`;
}

/** The state rows to project again, whole. */
export function selectStateRows(schema: string, state: string, pks: readonly string[], quote: (pk: string) => string, typed: readonly ColumnSpec[]): string {
  const columns = ['pk', 'item', 'deleted', 'version', 'seq', 'event_id', 'keys_only', ...typed.map((c) => c.name)];
  return `SELECT ${columns.map(quoteIdent).join(', ')} FROM ${qualified(schema, state)} WHERE "pk" = ANY([${pks.map(quote).join(', ')}])`;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
