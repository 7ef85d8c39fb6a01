import { isLosslessNumber, parse } from 'lossless-json';
import type { ColumnSpec } from '../../src/config/column-map.js';
import { canonicalNumber } from '../../src/decode/dynamo-number.js';
import { crateValue } from '../../src/sink/cratedb/typed-columns.js';
import { typedColumns } from '../../src/translate/typed-columns.js';
import { canonicalValue } from './canonical-json.js';
import { jsonText } from './cratedb-live.js';
import { mismatch, type Item, type Value } from './dynamo-model.js';
import type { RowFlavour } from './stored-rows.js';

/**
 * COLUMN_MAP's typed columns read back from any database and compared with what the model's
 * item makes of them through translate's own function (and, for CrateDB, what CrateDB can
 * store exactly), each as a text that compares equal whatever database answered.
 */

/** The select list reading the columns so that no digit is lost on the way (numbers as text, timestamps as UTC text or epoch ms). */
export function typedSelect(specs: readonly ColumnSpec[], flavour: RowFlavour): string {
  return specs
    .map(({ name, type }) => {
      if (flavour === 'cratedb') return `"${name}"`;
      if (type === 'bigint' || type === 'numeric' || type === 'json' || type === 'object') return `"${name}"::text AS "${name}"`;
      if (type === 'timestamp' && flavour === 'postgres') return `to_char("${name}" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "${name}"`;
      return type === 'timestamp' ? `"${name}"::text AS "${name}"` : `"${name}"`;
    })
    .join(', ');
}

/** The item as translate writes it: S and B (base64) as strings, N as exact numbers, sets as arrays. */
export function itemJson(item: Item): string {
  const json = (v: Value): string => {
    if ('S' in v) return JSON.stringify(v.S);
    if ('N' in v) return v.N;
    if ('B' in v) return JSON.stringify(Buffer.from(v.B).toString('base64'));
    if ('BOOL' in v) return String(v.BOOL);
    if ('NULL' in v) return 'null';
    if ('M' in v) return itemJson(v.M);
    if ('L' in v) return `[${v.L.map(json).join(',')}]`;
    if ('SS' in v) return JSON.stringify(v.SS);
    if ('NS' in v) return `[${v.NS.join(',')}]`;
    return JSON.stringify(v.BS.map((b) => Buffer.from(b).toString('base64')));
  };
  return `{${Object.entries(item)
    .map(([k, v]) => `${JSON.stringify(k)}:${json(v)}`)
    .join(',')}}`;
}

/**
 * Where a stored row's typed columns differ from what `item` (the model's item, or a
 * tombstone's key) gives; null when they all agree. `row` is read with `typedSelect`.
 */
export function typedMismatch(specs: readonly ColumnSpec[], item: Item, row: Record<string, unknown>, flavour: RowFlavour): string | null {
  const expected = typedColumns(specs, itemJson(item)).values;
  const crate = flavour !== 'postgres';
  for (const [i, spec] of specs.entries()) {
    const raw = row[spec.name];
    const actual = raw === null || raw === undefined ? null : raw;
    let want = expected[i] ?? null;
    if (want !== null && crate) want = crateValue(spec.type, want) === null ? null : want;
    if (spec.type === 'json' || spec.type === 'object') {
      // Sets may come in another order: compare with the model's value as the item comparison does.
      const value = valueAt(item, spec);
      if (want === null || value === undefined) {
        if (actual !== null) return `${spec.name}: expected NULL, got ${show(actual)}`;
        continue;
      }
      if (actual === null) return `${spec.name}: expected a value, got NULL`;
      // CrateDB answers an object's numbers as doubles (`1.0E-56`): compared by value.
      const problem = mismatch(value, canonicalValue(parse(typeof actual === 'string' ? actual : jsonText(actual))), spec.name);
      if (problem) return problem;
      continue;
    }
    const got = actual === null ? null : comparable(spec, actual, flavour);
    const wanted = want === null ? null : comparable(spec, want, flavour, true);
    if (got !== wanted) return `${spec.name}: expected ${wanted ?? 'NULL'}, got ${got ?? 'NULL'}`;
  }
  return null;
}

/** A value as text that compares equal across databases: canonical decimals, shortest doubles, UTC timestamps (CrateDB: epoch ms). */
function comparable(spec: ColumnSpec, value: unknown, flavour: RowFlavour, computed = false): string {
  const text = isLosslessNumber(value) ? value.value : String(value);
  switch (spec.type) {
    case 'bigint':
    case 'numeric':
      return canonicalNumber(text, spec.name);
    case 'double':
      return String(Number(text));
    case 'timestamp':
      if (!computed) return text;
      // Translate's ISO text with microseconds; CrateDB keeps milliseconds.
      return flavour === 'postgres' ? text.slice(0, -1) : String(Date.parse(text));
    default:
      return text;
  }
}

function valueAt(item: Item, spec: ColumnSpec): Value | undefined {
  let here: Value | undefined = { M: item };
  for (const segment of spec.path) {
    if (here === undefined) return undefined;
    if (typeof segment === 'number') here = 'L' in here ? (here.L as Value[])[segment] : undefined;
    else here = 'M' in here && Object.hasOwn(here.M as Item, segment) ? (here.M as Item)[segment] : undefined;
  }
  return here !== undefined && 'NULL' in here ? undefined : here;
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : jsonText(value);
}
