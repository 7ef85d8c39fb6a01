import { createHash } from 'node:crypto';

// Long enough for every database we write to (PostgreSQL's identifiers stop at 63 bytes) with
// room for the `_changes` suffix of the change log.
const MAX_NAME_LENGTH = 54;

export type TableMap = ReadonlyMap<string, string>;

/**
 * The target table for a DynamoDB table: the configured map first (`*` maps every table),
 * else the name lower-cased with every character outside [a-z0-9_] replaced by `_`.
 */
export function targetTableName(sourceTable: string, tableMap: TableMap): string {
  const mapped = tableMap.get(sourceTable) ?? tableMap.get('*');
  if (mapped !== undefined) return mapped;
  const name = sourceTable.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (name.length <= MAX_NAME_LENGTH) return name;
  // Truncating alone could make two long names collide: keep a hash of the full name.
  const hash = createHash('sha256').update(sourceTable).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME_LENGTH - 9)}_${hash}`;
}

/** `a=b,c=d,*=e` → map; throws with every malformed entry named. */
export function parseTableMap(text: string): Map<string, string> {
  const map = new Map<string, string>();
  const bad: string[] = [];
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
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
