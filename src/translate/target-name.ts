import type { ColumnSpec } from '../config/column-map.js';
import { createHash } from 'node:crypto';

// Long enough for every database we write to (PostgreSQL's identifiers stop at 63 bytes) with
// room for the `_changes` suffix of the change log.
const MAX_NAME_LENGTH = 54;

export type TableMap = ReadonlyMap<string, string>;

/**
 * Every target table comes with its change log, `<table>_changes` (CHANGE_LOG=true), whether the
 * log is on or not, so that turning it on later never meets a name already taken. The sinks
 * name their change logs with this same suffix.
 */
export const CHANGE_LOG_SUFFIX = '_changes';

/** The sinks' own table of which DynamoDB table holds which target name (README, "The tables"). */
export const TABLE_OWNERS_TABLE = 'cdc_table_owners';
/** The stream consumers' checkpoints and leases (npm run consume). */
export const CHECKPOINT_TABLE = 'cdc_shard_checkpoints';
export const LEASE_TABLE = 'cdc_stream_leases';

/** A target table and its change log: the names one source table claims together. */
export function nameFamily(table: string): string[] {
  return [table, table + CHANGE_LOG_SUFFIX];
}

/** How source tables are named, from the configuration: the map, and the names no source table may take. */
export interface TableNaming {
  readonly tableMap: TableMap;
  /** Internal tables (dead letters, table owners) and the names TABLE_MAP gives out, with their change logs: why each is taken. */
  readonly reserved: ReadonlyMap<string, string>;
}

export function tableNaming(tableMap: TableMap, deadLetterTable: string): TableNaming {
  const reserved = new Map<string, string>();
  for (const [name, what] of internalTables(deadLetterTable)) reserved.set(name, `an internal table (${what})`);
  for (const [source, target] of tableMap) {
    for (const name of nameFamily(target))
      if (!reserved.has(name)) reserved.set(name, `given by TABLE_MAP to ${source === '*' ? 'every table' : JSON.stringify(source)}`);
  }
  return { tableMap, reserved };
}

/** The tables the sinks create for themselves, with what each holds. */
export function internalTables(deadLetterTable: string): Map<string, string> {
  return new Map([
    [deadLetterTable, 'dead letters'],
    [TABLE_OWNERS_TABLE, 'table owners'],
    [CHECKPOINT_TABLE, 'stream checkpoints'],
    [LEASE_TABLE, 'stream leases'],
  ]);
}

/**
 * Where a DynamoDB table goes: where TABLE_MAP sends it, or else the first of its candidate
 * names it can claim (README, "The tables"). Candidates that are reserved are left out, with why.
 */
export type TargetPlan =
  | { readonly mapped: true; readonly table: string }
  | { readonly mapped: false; readonly candidates: readonly string[]; readonly skipped: readonly string[] };

export function targetPlan(sourceTable: string, naming: TableNaming): TargetPlan {
  const mapped = naming.tableMap.get(sourceTable) ?? naming.tableMap.get('*');
  if (mapped !== undefined) return { mapped: true, table: mapped };
  const candidates: string[] = [];
  const skipped: string[] = [];
  for (const name of candidateNames(sourceTable)) {
    const taken = nameFamily(name).find((n) => naming.reserved.has(n));
    if (taken === undefined) candidates.push(name);
    else skipped.push(`${taken} is ${naming.reserved.get(taken)}`);
  }
  return { mapped: false, candidates, skipped };
}

/**
 * Today's name (lower-cased, every character outside [a-z0-9_] replaced by `_`, names over 54
 * characters cut and suffixed with a hash of the exact name), then, should another source table
 * hold it, that name cut to 45 characters and suffixed with a hash of the exact source name. A
 * name already hashed has no second candidate: its hash already tells it apart.
 */
export function candidateNames(sourceTable: string): string[] {
  const name = sourceTable.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const hashed = `${name.slice(0, MAX_NAME_LENGTH - 9)}_${createHash('sha256').update(sourceTable).digest('hex').slice(0, 8)}`;
  return name.length <= MAX_NAME_LENGTH ? [name, hashed] : [hashed];
}

/**
 * The order in which a delivery's new source tables claim names, the same on every instance: a
 * name that is its own target name first (`customers` before `Customers`), then by code units.
 */
export function claimOrder(a: string, b: string): number {
  const own = (s: string) => (candidateNames(s)[0] === s ? 0 : 1);
  return own(a) - own(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Where one source table's records go, once its name is claimed, or why they cannot go anywhere;
 * with the typed columns COLUMN_MAP gives that table.
 */
export type Target = { readonly ok: true; readonly table: string; readonly columns?: readonly ColumnSpec[] } | { readonly ok: false; readonly error: string };

export type TargetOf = (sourceTable: string) => Target;

/** Today's names without claims, for code that writes nothing (benchmarks, unit tests). */
export function unclaimedTargets(tableMap: TableMap): TargetOf {
  return (sourceTable) => ({ ok: true, table: targetTableName(sourceTable, tableMap) });
}

/** The default target name alone, before any claim: the first candidate, or the mapped table. */
export function targetTableName(sourceTable: string, tableMap: TableMap): string {
  const mapped = tableMap.get(sourceTable) ?? tableMap.get('*');
  return mapped ?? candidateNames(sourceTable)[0]!;
}

/** `a=b,c=d,*=e` → map; throws with every malformed entry named. */
export function parseTableMap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  const bad: string[] = [];
  for (const entry of text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const [source, target, ...rest] = entry.split('=').map((s) => s.trim());
    if (!source || !target || rest.length > 0 || !/^[a-z_][a-z0-9_]*$/.test(target) || target.length > MAX_NAME_LENGTH) {
      bad.push(entry);
      continue;
    }
    map.set(source, target);
  }
  if (bad.length > 0) {
    throw new Error(`expected source=target pairs with targets matching [a-z_][a-z0-9_]{0,53}; bad: ${bad.join(', ')}`);
  }
  return map;
}
