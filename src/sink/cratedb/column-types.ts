import type { ColumnTypes } from './project-item.js';

/**
 * information_schema.columns rows of `data` sub-columns (`data['a']['b']`, `text`) → the
 * projection's path keys and type names. CrateDB spells array types `text_array` or `array(text)`.
 */
export function columnTypesFrom(rows: readonly (readonly unknown[])[]): ColumnTypes {
  const types: ColumnTypes = new Map();
  for (const [name, type] of rows) {
    if (typeof name !== 'string' || typeof type !== 'string') continue;
    const path = parseColumnPath(name);
    if (path && path.length > 0) types.set(JSON.stringify(path), normalizeType(type));
  }
  return types;
}

export function parseColumnPath(name: string): string[] | null {
  if (!name.startsWith('data[')) return null;
  const path: string[] = [];
  const segment = /\['((?:[^']|'')*)'\]/y;
  segment.lastIndex = 4;
  while (segment.lastIndex < name.length) {
    const match = segment.exec(name);
    if (!match) return null;
    path.push(match[1]!.replaceAll("''", "'"));
  }
  return path;
}

export function normalizeType(type: string): string {
  const t = type.toLowerCase().trim();
  const array = /^array\((.+)\)$/.exec(t) ?? /^(.+)_array$/.exec(t) ?? /^(.+)\[\]$/.exec(t);
  if (array) return `array(${normalizeType(array[1]!)})`;
  if (t === 'text' || t === 'string' || t === 'character varying' || t === 'varchar') return 'text';
  if (t === 'double precision' || t === 'double') return 'double';
  if (t === 'boolean') return 'boolean';
  if (t === 'object') return 'object';
  return t; // bigint, real, …: created by someone else; anything we write there conflicts
}
