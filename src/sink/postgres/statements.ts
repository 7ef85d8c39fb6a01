import type { ColumnSpec, ColumnType } from '../../config/column-map.js';
import type { ColumnValue } from '../../translate/typed-columns.js';
import { qualified, quoteIdent } from './identifiers.js';
import { changeLogSuffix } from '../sql/identifiers.js';

/**
 * The SQL the PostgreSQL sinks (server and embedded) emit. Rows travel as one text parameter (a
 * JSON array, or the upsert's lines: row-parameters.ts), so a table write is one statement
 * whatever its size, and numbers inside `data` reach JSONB as exact numerics.
 */

export { changeLogSuffix };

export function createSchema(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`;
}

/**
 * How a state table is keyed. `hashed` (this version): the primary key is `pk_hash`, the SHA-256
 * of `pk`'s UTF-8 bytes, so a key of any length (DynamoDB allows 2,048 + 1,024 bytes, more once
 * spelled as JSON) fits the B-tree's 2,704-byte entry limit. `legacy`: `pk` itself is the primary
 * key, as in tables created by earlier versions (README, "The tables", says how to migrate one).
 */
export type KeyLayout = 'hashed' | 'legacy';

const keyColumn: Record<KeyLayout, string> = { hashed: 'pk_hash', legacy: 'pk' };

/**
 * Names of the constraints (and so of their indexes) the sink creates: `<table>-pk`. Target
 * names never hold `-`, so these can never take the name of a table to come (PostgreSQL's own
 * `<table>_pkey` could: a DynamoDB table `foo-pkey`).
 */
export function primaryKeyName(table: string): string {
  return `${table}-pk`.slice(0, 63);
}

export function createStateTable(schema: string, table: string): string {
  // event_id compares under "C" (UTF-8 byte order), the order the translate step uses.
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (
  pk text NOT NULL,
  pk_hash bytea NOT NULL,
  data jsonb NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  version bigint NOT NULL,
  seq numeric,
  event_id text COLLATE "C" NOT NULL,
  event_name text NOT NULL,
  ttl_expired boolean NOT NULL DEFAULT false,
  keys_only boolean NOT NULL DEFAULT false,
  source_table text NOT NULL,
  changed_at timestamptz NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ${quoteIdent(primaryKeyName(table))} PRIMARY KEY (pk_hash)
)`;
}

const PG_TYPES: Record<ColumnType, string> = {
  text: 'text',
  bigint: 'bigint',
  numeric: 'numeric',
  double: 'double precision',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  json: 'jsonb',
  object: 'jsonb',
};

/** COLUMN_MAP's typed columns, added to a table that lacks them (new or older). */
export function addTypedColumns(schema: string, table: string, columns: readonly ColumnSpec[]): string {
  return `ALTER TABLE ${qualified(schema, table)}
  ${columns.map((c) => `ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} ${PG_TYPES[c.type]}`).join(',\n  ')}`;
}

/**
 * Whether the table is keyed by `pk_hash` (one row when it is). From the catalog rather than
 * information_schema.columns, whose view costs PGlite about ten times as much per table.
 */
export const selectKeyLayout = `SELECT 1 AS hashed FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = 'pk_hash' AND NOT a.attisdropped`;

export function createChangeLogTable(schema: string, table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table + changeLogSuffix)} (
  event_id text NOT NULL,
  pk text NOT NULL,
  event_name text NOT NULL,
  version bigint NOT NULL,
  seq numeric,
  ttl_expired boolean NOT NULL,
  new_image jsonb,
  old_image jsonb,
  source_table text NOT NULL,
  changed_at timestamptz NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ${quoteIdent(primaryKeyName(table + changeLogSuffix))} PRIMARY KEY (event_id)
)`;
}

export function createDeadLetterTable(schema: string, table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (
  id text NOT NULL,
  request_id text NOT NULL,
  record_index integer NOT NULL,
  source text NOT NULL,
  source_table text,
  payload text NOT NULL,
  error text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ${quoteIdent(primaryKeyName(table))} PRIMARY KEY (id)
)`;
}

/** A row's typed columns as the JSON array `cols`, in COLUMN_MAP's order: json and object values as JSON, not text. */
export function colsJson(columns: readonly ColumnSpec[], values: readonly ColumnValue[]): string {
  return `[${values.map((v, i) => (v === null ? 'null' : columns[i]!.type === 'json' || columns[i]!.type === 'object' ? (v as string) : JSON.stringify(v))).join(',')}]`;
}

/** A typed column's value from a row's `cols` array (JSON, in COLUMN_MAP's order): json and object stay jsonb. */
function typedValue(column: ColumnSpec, i: number, cols = 'cols'): string {
  return PG_TYPES[column.type] === 'jsonb' ? `NULLIF(${cols}->${i}, 'null'::jsonb)` : `(${cols}->>${i})::${PG_TYPES[column.type]}`;
}

/**
 * Version-gated upsert of collapsed rows. `prior` reads the rows as they were before the
 * statement (one snapshot), so the result tells duplicate (same event stored) from stale. It
 * answers only the rows not applied, by their place in the input (`n`, from 1): a delivery's rows
 * are mostly applied, and 5,000 answers a statement cost the client more than the upsert itself.
 * It is MATERIALIZED: inlined, the planner (which guesses 100 input rows) joined it once per input
 * row, and a redelivery of 10,000 rows took 45 s instead of half a second.
 * A row without a new image (keys-only streams) keeps the stored item.
 */
export function upsertRows(schema: string, table: string, layout: KeyLayout = 'hashed', columns: readonly ColumnSpec[] = [], input: RowInput = 'json'): string {
  const target = qualified(schema, table);
  const key = keyColumn[layout];
  const hashed = layout === 'hashed';
  // Typed columns travel as one JSON array per row (`cols`), in COLUMN_MAP's order.
  const names = columns.map((c) => `, ${quoteIdent(c.name)}`).join('');
  const values = columns.map((c, i) => `, ${typedValue(c, i)}`).join('');
  const sets = columns
    .map(
      (c) =>
        `\n    ${quoteIdent(c.name)} = CASE WHEN excluded.keys_only AND NOT t.deleted THEN t.${quoteIdent(c.name)} ELSE excluded.${quoteIdent(c.name)} END,`,
    )
    .join('');
  return `WITH input AS (
  SELECT x.*${hashed ? `, sha256(convert_to(x.pk, 'UTF8')) AS pk_hash` : ''} FROM ${input === 'json' ? jsonRows(columns.length > 0) : lineRows(columns.length > 0)}
), prior AS MATERIALIZED (
  SELECT t.${key}, t.version, t.event_id FROM ${target} AS t JOIN input AS i ON i.${key} = t.${key}
), written AS (
  INSERT INTO ${target} AS t (pk, ${hashed ? 'pk_hash, ' : ''}data, deleted, version, seq, event_id, event_name, ttl_expired,
    keys_only, source_table, changed_at, written_at${names})
  SELECT pk, ${hashed ? 'pk_hash, ' : ''}data, deleted, version, seq, event_id, event_name, ttl, keys_only, source_table,
    to_timestamp(version / 1000000.0), now()${values}
  FROM input
  ON CONFLICT (${key}) DO UPDATE SET
    data = CASE WHEN excluded.keys_only AND NOT t.deleted THEN t.data ELSE excluded.data END,${sets}
    deleted = excluded.deleted,
    version = excluded.version,
    seq = excluded.seq,
    event_id = excluded.event_id,
    event_name = excluded.event_name,
    ttl_expired = excluded.ttl_expired,
    keys_only = excluded.keys_only,
    source_table = excluded.source_table,
    changed_at = excluded.changed_at,
    written_at = excluded.written_at
  WHERE (excluded.version, COALESCE(excluded.seq, -1), excluded.event_id)
      > (t.version, COALESCE(t.seq, -1), t.event_id)
  RETURNING t.${key}
)
SELECT i.ordinality::integer AS n, COALESCE(p.event_id = i.event_id AND p.version = i.version, false) AS duplicate
FROM input AS i LEFT JOIN written AS w ON w.${key} = i.${key} LEFT JOIN prior AS p ON p.${key} = i.${key}
WHERE w.${key} IS NULL`;
}

/**
 * How the upsert's rows travel: `json`, a JSON array of objects (what the row-by-row function
 * hands each row as); `lines`, one row a line, its fields split by tabs, in rowLine's order.
 */
export type RowInput = 'json' | 'lines';

function jsonRows(typed: boolean): string {
  return `ROWS FROM (jsonb_to_recordset($1::jsonb) AS (
    pk text, data jsonb, deleted boolean, version bigint, seq numeric, event_id text,
    event_name text, ttl boolean, keys_only boolean, source_table text${typed ? ', cols jsonb' : ''})) WITH ORDINALITY AS x`;
}

// string_to_array and unnest, not string_to_table: as cheap, and in every PostgreSQL version.
function lineRows(typed: boolean): string {
  const field = (n: number) => `split_part(line, E'\\t', ${n})`;
  return `(
    SELECT ${field(1)} AS pk, ${field(typed ? 11 : 10)}::jsonb AS data, ${field(2)}::boolean AS deleted,
      ${field(3)}::bigint AS version, NULLIF(${field(4)}, '')::numeric AS seq, ${field(5)} AS event_id,
      ${field(6)} AS event_name, ${field(7)}::boolean AS ttl, ${field(8)}::boolean AS keys_only,
      ${field(9)} AS source_table${typed ? `, NULLIF(${field(10)}, '')::jsonb AS cols` : ''}, ordinality
    FROM unnest(string_to_array($1, E'\\n')) WITH ORDINALITY AS lines(line, ordinality)
  ) AS x`;
}

/**
 * The function that writes rows one by one in one statement: each row runs `statement` (one of
 * the statements here, given a one-row JSON array) in a block of its own (a savepoint), so a row
 * the database refuses for its data is reported, rolled back alone, and the others are written.
 * The statement is prepared once per call, so it is planned once, not once per row (which cost
 * about 3 ms a row). It catches exactly the SQLSTATE classes `classifyPostgresError` calls `row`
 * (22, 23, 54); any other error fails the call, as it would fail a bulk write. A prepared
 * statement outlives a failed transaction, so one left by a failed call is dropped first.
 * Functions do not share the namespace of tables and indexes, so no table name can collide with
 * it; the version in its name lets a later release change it beside this one.
 */
export const eachRowFunction = 'cdc_write_each_row_v1';

export function createEachRowFunction(schema: string): string {
  return `CREATE FUNCTION ${qualified(schema, eachRowFunction)}(statement text, rows jsonb)
RETURNS TABLE (ordinal integer, answer jsonb, error text)
LANGUAGE plpgsql AS $body$
DECLARE
  item jsonb;
  got record;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = 'cdc_each_row') THEN
    DEALLOCATE cdc_each_row;
  END IF;
  EXECUTE 'PREPARE cdc_each_row(jsonb) AS ' || statement;
  ordinal := 0;
  FOR item IN SELECT e.value FROM jsonb_array_elements(rows) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
    ordinal := ordinal + 1;
    answer := NULL;
    error := NULL;
    BEGIN
      FOR got IN EXECUTE format('EXECUTE cdc_each_row(%L)', jsonb_build_array(item)) LOOP
        answer := to_jsonb(got);
      END LOOP;
    EXCEPTION WHEN data_exception OR integrity_constraint_violation OR program_limit_exceeded THEN
      error := SQLERRM;
    END;
    RETURN NEXT;
  END LOOP;
  DEALLOCATE cdc_each_row;
END
$body$`;
}

/** Runs `$1` (a statement of this file) once per element of the JSON array `$2`: one row per element, in order. */
export function writeEachRow(schema: string): string {
  return `SELECT ordinal, answer, error FROM ${qualified(schema, eachRowFunction)}($1, $2::jsonb) ORDER BY ordinal`;
}

export function insertChangeLog(schema: string, table: string): string {
  return `INSERT INTO ${qualified(schema, table + changeLogSuffix)}
  (event_id, pk, event_name, version, seq, ttl_expired, new_image, old_image, source_table, changed_at)
SELECT event_id, pk, event_name, version, seq, ttl, new_image, old_image, source_table,
  to_timestamp(version / 1000000.0)
FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, pk text, event_name text, version bigint,
  seq numeric, ttl boolean, new_image jsonb, old_image jsonb, source_table text)
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id`;
}

export function insertDeadLetters(schema: string, table: string): string {
  return `INSERT INTO ${qualified(schema, table)} (id, request_id, record_index, source, source_table, payload, error)
SELECT id, request_id, record_index, source, source_table, payload, error
FROM jsonb_to_recordset($1::jsonb) AS x(id text, request_id text, record_index integer, source text,
  source_table text, payload text, error text)
ON CONFLICT (id) DO NOTHING`;
}

/** Tables in the schema that have the state-table contract columns. */
export const listStateTables = `SELECT table_name FROM information_schema.columns
WHERE table_schema = $1 AND column_name IN ('pk', 'deleted', 'version', 'event_id', 'keys_only')
GROUP BY table_name HAVING count(*) = 5`;

export function liveRowsBelow(schema: string, table: string): string {
  return `SELECT pk, version::text AS version FROM ${qualified(schema, table)}
WHERE NOT deleted AND source_table = $1 AND version < $2`;
}

export function purgeTombstones(schema: string, table: string): string {
  return `DELETE FROM ${qualified(schema, table)} WHERE deleted AND version < $1`;
}

export function countRows(schema: string, table: string): string {
  return `SELECT count(*)::bigint AS n FROM ${qualified(schema, table)}`;
}

/**
 * Stored rows for rematerialize, with the gate they were read at: a page in primary-key order
 * after `$1` (the hex of `pk_hash`, or `pk` in a legacy table; '' before the first) of at most
 * `$2` rows, or the rows of the keys in the JSON array `$1`.
 */
export function selectStoredItems(schema: string, table: string, layout: KeyLayout, by: 'page' | 'keys'): string {
  const hashed = layout === 'hashed';
  const key = keyColumn[layout];
  const cursor = hashed ? `encode(pk_hash, 'hex')` : 'pk';
  const select = `SELECT pk, data::text AS item, version::text AS version, seq::text AS seq, event_id, ${cursor} AS cursor FROM ${qualified(schema, table)}`;
  if (by === 'keys') {
    const keys = hashed ? `sha256(convert_to(k, 'UTF8'))` : 'k';
    return `${select}\nWHERE ${key} IN (SELECT ${keys} FROM jsonb_array_elements_text($1::jsonb) AS k)`;
  }
  return `${select}\nWHERE ${key} > ${hashed ? `decode($1, 'hex')` : '$1'} ORDER BY ${key} LIMIT $2`;
}

/**
 * Rematerialize's compare-and-set: each row's typed columns, written only where its (version,
 * seq, event_id) is still what was read. A row the stream changed meanwhile is left as it is
 * (the UPDATE waits for the stream's transaction, then finds the row no longer matching).
 */
export function updateTypedColumns(schema: string, table: string, layout: KeyLayout, columns: readonly ColumnSpec[]): string {
  const key = keyColumn[layout];
  const input = layout === 'hashed' ? `sha256(convert_to(x.pk, 'UTF8'))` : 'x.pk';
  const sets = columns.map((c, i) => `${quoteIdent(c.name)} = ${typedValue(c, i, 'x.cols')}`).join(',\n  ');
  return `UPDATE ${qualified(schema, table)} AS t SET
  ${sets}
FROM jsonb_to_recordset($1::jsonb) AS x(pk text, version bigint, seq numeric, event_id text, cols jsonb)
WHERE t.${key} = ${input} AND t.version = x.version AND t.seq IS NOT DISTINCT FROM x.seq AND t.event_id = x.event_id
RETURNING x.pk`;
}
