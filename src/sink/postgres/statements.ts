import { qualified, quoteIdent } from './identifiers.js';

/**
 * The SQL the PostgreSQL sinks (server and embedded) emit. Rows travel as one JSON array
 * parameter, so a table write is one statement whatever its size, and numbers inside `data`
 * reach JSONB as exact numerics.
 */

export const changeLogSuffix = '_changes';

export function createSchema(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`;
}

export function createStateTable(schema: string, table: string): string {
  // event_id compares under "C" (UTF-8 byte order), the order the translate step uses.
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (
  pk text PRIMARY KEY,
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
  written_at timestamptz NOT NULL DEFAULT now()
)`;
}

export function createChangeLogTable(schema: string, table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table + changeLogSuffix)} (
  event_id text PRIMARY KEY,
  pk text NOT NULL,
  event_name text NOT NULL,
  version bigint NOT NULL,
  seq numeric,
  ttl_expired boolean NOT NULL,
  new_image jsonb,
  old_image jsonb,
  source_table text NOT NULL,
  changed_at timestamptz NOT NULL,
  written_at timestamptz NOT NULL DEFAULT now()
)`;
}

export function createDeadLetterTable(schema: string, table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, table)} (
  id text PRIMARY KEY,
  request_id text NOT NULL,
  record_index integer NOT NULL,
  source text NOT NULL,
  source_table text,
  payload text NOT NULL,
  error text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
)`;
}

/**
 * Version-gated upsert of collapsed rows. `prior` reads the rows as they were before the
 * statement (one snapshot), so the result tells applied, duplicate (same event stored) and stale.
 * It is MATERIALIZED: inlined, the planner (which guesses 100 input rows) joined it once per input
 * row, and a redelivery of 10,000 rows took 45 s instead of half a second.
 * A row without a new image (keys-only streams) keeps the stored item.
 */
export function upsertRows(schema: string, table: string): string {
  const target = qualified(schema, table);
  return `WITH input AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
    pk text, data jsonb, deleted boolean, version bigint, seq numeric, event_id text,
    event_name text, ttl boolean, keys_only boolean, source_table text)
), prior AS MATERIALIZED (
  SELECT t.pk, t.version, t.event_id FROM ${target} AS t JOIN input AS i ON i.pk = t.pk
), written AS (
  INSERT INTO ${target} AS t (pk, data, deleted, version, seq, event_id, event_name, ttl_expired,
    keys_only, source_table, changed_at, written_at)
  SELECT pk, data, deleted, version, seq, event_id, event_name, ttl, keys_only, source_table,
    to_timestamp(version / 1000000.0), now()
  FROM input
  ON CONFLICT (pk) DO UPDATE SET
    data = CASE WHEN excluded.keys_only AND NOT t.deleted THEN t.data ELSE excluded.data END,
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
  RETURNING t.pk
)
SELECT i.pk, w.pk IS NOT NULL AS applied,
  COALESCE(p.event_id = i.event_id AND p.version = i.version, false) AS duplicate
FROM input AS i LEFT JOIN written AS w ON w.pk = i.pk LEFT JOIN prior AS p ON p.pk = i.pk`;
}

export function insertChangeLog(schema: string, table: string): string {
  return `INSERT INTO ${qualified(schema, table + changeLogSuffix)}
  (event_id, pk, event_name, version, seq, ttl_expired, new_image, old_image, source_table, changed_at)
SELECT event_id, pk, event_name, version, seq, ttl, new_image, old_image, source_table,
  to_timestamp(version / 1000000.0)
FROM jsonb_to_recordset($1::jsonb) AS x(event_id text, pk text, event_name text, version bigint,
  seq numeric, ttl boolean, new_image jsonb, old_image jsonb, source_table text)
ON CONFLICT (event_id) DO NOTHING`;
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
