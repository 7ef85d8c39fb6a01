import { TABLE_OWNERS_TABLE } from '../../translate/target-name.js';
import type { CrateDbClient } from './cratedb-client.js';
import { bulkRowError } from './classify-error.js';
import { qualified, quoteLiteral } from './identifiers.js';
import type { TableSettings } from './statements.js';
import { refreshTable, withClause } from './statements.js';

/**
 * Which DynamoDB table holds which target name, in CrateDB itself, so that every instance agrees
 * and a restart changes nothing (README, "The tables"). One row per name, written once. CrateDB
 * has no multi-row transaction: each name is inserted on its own (ON CONFLICT DO NOTHING) and read
 * back by key (a real-time lookup); a family split between two claimants is undone and retried.
 */
export function createTableOwnersTable(schema: string, settings: TableSettings): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, TABLE_OWNERS_TABLE)} (
  "table_name" TEXT PRIMARY KEY,
  "source_table" TEXT NOT NULL,
  "claimed_at" TIMESTAMP WITH TIME ZONE NOT NULL
)${withClause(settings)}`;
}

const selectOwners = (schema: string, names: readonly string[]) =>
  `SELECT "table_name", "source_table" FROM ${qualified(schema, TABLE_OWNERS_TABLE)} WHERE "table_name" = ANY([${names.map(quoteLiteral).join(', ')}])`;

const insertOwner = (schema: string) =>
  `INSERT INTO ${qualified(schema, TABLE_OWNERS_TABLE)} ("table_name", "source_table", "claimed_at") VALUES (?, ?, ?) ON CONFLICT ("table_name") DO NOTHING`;

const deleteOwner = (schema: string) => `DELETE FROM ${qualified(schema, TABLE_OWNERS_TABLE)} WHERE "table_name" = ?`;

/** Tables of these names, and which of them have our `source_table` column. */
const selectTables = `SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_name = ANY(?)`;
const selectWithSource = `SELECT table_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ANY(?) AND column_name = 'source_table'`;
/** Tables of these names with a `pk` OBJECT of key columns, as commons-codec creates them. */
const selectWithKeyObject = `SELECT DISTINCT table_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ANY(?) AND column_name LIKE 'pk[%'`;

/** Two claimants split a family between them: what each inserted is undone, and the delivery retried. */
export class SplitClaimError extends Error {
  readonly code = 'TABLE_CLAIM_SPLIT';
}

/**
 * Claims `names` (a table and its change log) for `source`: answers who holds them afterwards
 * (`null`: `source` does). Names nobody claimed yet go, together, to whoever already has rows in
 * them (a table of an earlier version, which had no claims), else to `source`; a table of such a
 * name without our columns holds it, and nothing is claimed. A name in `adoptable` (LAYOUT=commons-codec)
 * may be a table commons-codec created: it is claimed with the others, and holds nothing itself.
 */
export async function claimNames(
  client: CrateDbClient,
  schema: string,
  names: readonly string[],
  source: string,
  adoptable: readonly string[] = [],
): Promise<string | null> {
  let owners = await readOwners(client, schema, names);
  const missing = names.filter((n) => !owners.has(n));
  if (missing.length === 0 || heldByOther(owners, source) !== null) return heldByOther(owners, source);
  let owner = source;
  const existing = new Set((await client.execute(selectTables, [schema, missing])).rows.map(([t]) => String(t)));
  const ours = new Set((await client.execute(selectWithSource, [schema, missing])).rows.map(([t]) => String(t)));
  const codec =
    adoptable.length === 0 ? new Set<string>() : new Set((await client.execute(selectWithKeyObject, [schema, adoptable])).rows.map(([t]) => String(t)));
  for (const name of missing.filter((n) => existing.has(n))) {
    if (adoptable.includes(name)) {
      if (codec.has(name)) continue;
      return `a table named ${name} that is not a commons-codec table (no pk OBJECT of key columns)`;
    }
    if (!ours.has(name)) return `a table this service did not create named ${name}`;
    await client.execute(refreshTable(schema, name));
    const [row] = (await client.execute(`SELECT "source_table" FROM ${qualified(schema, name)} LIMIT 1`)).rows;
    if (row && owner === source) owner = String(row[0]);
  }
  const now = Date.now();
  const { results } = await client.executeBulk(
    insertOwner(schema),
    missing.map((n) => JSON.stringify([n, owner, now])),
  );
  const inserted = missing.filter((_, i) => (results[i]?.rowcount ?? 0) > 0);
  const refused = results.find((r) => r.rowcount < 0);
  if (refused) throw bulkRowError(refused.error);
  owners = await readOwners(client, schema, names);
  const holders = new Set(owners.values());
  if (holders.size > 1 && inserted.length > 0) {
    // Another claimant took the rest of the family at the same moment: give back what we took.
    await client.executeBulk(
      deleteOwner(schema),
      inserted.map((n) => JSON.stringify([n])),
    );
    throw new SplitClaimError(`the names ${names.join(', ')} were claimed at once by two DynamoDB tables: retrying`);
  }
  return heldByOther(owners, source);
}

async function readOwners(client: CrateDbClient, schema: string, names: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await client.execute(selectOwners(schema, names));
  return new Map(rows.map(([name, owner]) => [String(name), String(owner)]));
}

function heldByOther(owners: ReadonlyMap<string, string>, source: string): string | null {
  const other = [...owners.values()].find((s) => s !== source);
  return other === undefined ? null : `DynamoDB table ${JSON.stringify(other)}`;
}
