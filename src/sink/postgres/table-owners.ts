import { TABLE_OWNERS_TABLE } from '../../translate/target-name.js';
import { sqlState } from './classify-error.js';
import { qualified, quoteIdent } from './identifiers.js';
import { primaryKeyName } from './statements.js';
import type { SqlExecutor } from './sql-executor.js';

/**
 * Which DynamoDB table holds which target name, in the database itself, so that every instance
 * agrees and a restart changes nothing (README, "The tables"). One row per name, written once.
 */
export function createTableOwnersTable(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, TABLE_OWNERS_TABLE)} (
  table_name text NOT NULL,
  source_table text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ${quoteIdent(primaryKeyName(TABLE_OWNERS_TABLE))} PRIMARY KEY (table_name)
)`;
}

const selectOwners = (schema: string) => `SELECT table_name, source_table FROM ${qualified(schema, TABLE_OWNERS_TABLE)} WHERE table_name = ANY($1::text[])`;

// A single statement: all the names or none (a unique violation when another claim won the race).
const insertOwners = (schema: string) =>
  `INSERT INTO ${qualified(schema, TABLE_OWNERS_TABLE)} (table_name, source_table) SELECT name, $2 FROM unnest($1::text[]) AS name`;

/** Relations of these names already in the schema, and whether each has our `source_table` column. */
const selectRelations = `SELECT c.relname, c.relkind,
  EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'source_table' AND NOT a.attisdropped) AS has_source
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = ANY($2::text[])`;

const RELATION_KINDS: Record<string, string> = {
  i: 'an index',
  I: 'an index',
  S: 'a sequence',
  v: 'a view',
  m: 'a materialized view',
  f: 'a foreign table',
  c: 'a type',
};

/**
 * Claims `names` (a table and its change log) for `source`: answers who holds them afterwards
 * (`null`: `source` does). Names nobody has claimed yet go, all together, to whoever already has
 * rows in them (a table written by an earlier version, which had no claims), else to `source`.
 * A name taken by a relation this service did not write (an index such as `foo_pkey`, a view, a
 * table without our columns) is held by it, and nothing is claimed.
 */
export async function claimNames(db: SqlExecutor, schema: string, names: readonly string[], source: string): Promise<string | null> {
  let owners = await readOwners(db, schema, names);
  const missing = names.filter((n) => !owners.has(n));
  if (missing.length > 0 && heldByOther(owners, source) === null) {
    let owner = source;
    const relations = await db.query<{ relname: string; relkind: string; has_source: boolean }>(selectRelations, [schema, missing]);
    for (const r of relations.sort((a, b) => missing.indexOf(a.relname) - missing.indexOf(b.relname))) {
      const kind =
        r.relkind === 'r' || r.relkind === 'p' ? (r.has_source ? null : 'a table this service did not create') : (RELATION_KINDS[r.relkind] ?? 'a relation');
      if (kind !== null) return `${kind} named ${r.relname}`;
      const [row] = await db.query<{ source_table: string }>(`SELECT source_table FROM ${qualified(schema, r.relname)} LIMIT 1`);
      if (row && owner === source) owner = row.source_table;
    }
    try {
      await db.query(insertOwners(schema), [missing, owner]);
    } catch (error) {
      if (sqlState(error) !== '23505') throw error;
    }
    owners = await readOwners(db, schema, names);
  }
  return heldByOther(owners, source);
}

async function readOwners(db: SqlExecutor, schema: string, names: readonly string[]): Promise<Map<string, string>> {
  const rows = await db.query<{ table_name: string; source_table: string }>(selectOwners(schema), [names]);
  return new Map(rows.map((r) => [r.table_name, r.source_table]));
}

function heldByOther(owners: ReadonlyMap<string, string>, source: string): string | null {
  const other = [...owners.values()].find((s) => s !== source);
  return other === undefined ? null : `DynamoDB table ${JSON.stringify(other)}`;
}
