import { UNTYPED, type ColumnTypes } from './project-item.js';

/**
 * information_schema.columns rows of `data` sub-columns (`data['a']['b']`, `text`) → the
 * projection's path keys and type names. CrateDB spells array types `text_array` or `array(text)`
 * (6.4.3: `text_array`, `double precision_array`, `object_array`, `undefined_array`).
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

/**
 * `data['a']['b']` → ['a', 'b']. information_schema does not escape quotes in these names (a key
 * `it's` comes back as `data['it's']`, observed on CrateDB 6.4.3), so segments are split on
 * `']['`, which no key of ours contains: keys with `[` or `]` never reach `data`.
 */
export function parseColumnPath(name: string): string[] | null {
  if (!name.startsWith("data['") || !name.endsWith("']")) return null;
  return name.slice("data['".length, -"']".length).split("']['");
}

export function normalizeType(type: string): string {
  const t = type.toLowerCase().trim();
  const array = /^array\((.+)\)$/.exec(t) ?? /^(.+)_array$/.exec(t) ?? /^(.+)\[\]$/.exec(t);
  if (array) return `array(${normalizeType(array[1]!)})`;
  if (t === 'text' || t === 'string' || t === 'character varying' || t === 'varchar') return 'text';
  if (t === 'double precision' || t === 'double') return 'double';
  if (t === 'boolean') return 'boolean';
  if (t === 'object') return 'object';
  // A sub-column created by null (`undefined`, 6.1.3+) or [] (`undefined_array`): typed by the
  // first real value.
  if (t === 'undefined') return UNTYPED;
  return t; // bigint, real, …: created by someone else; anything we write there conflicts
}
