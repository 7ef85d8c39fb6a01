import { isLosslessNumber } from 'lossless-json';
import { doubleJson, exactJson, projectItem, UNTYPED, type ColumnTypes, type Diversion } from './project-item.js';

/**
 * LAYOUT=commons-codec: an item as cratedb-toolkit's DynamoDB CDC translator (commons-codec,
 * `transform/dynamodb.py`) stores it: the key attributes in `pk` OBJECT(STRICT), the others in
 * `data` OBJECT(DYNAMIC) with numbers as doubles, and in `aux` OBJECT(IGNORED), by attribute name,
 * the top-level lists whose elements differ in type. Beyond what commons-codec does, an attribute
 * `data` cannot hold (README, "What goes where when CrateDB cannot store a value") goes to `aux`
 * whole, under its name, instead of failing the row.
 */

/** A key attribute as commons-codec declares it: S and B → STRING (TEXT), N → BIGINT. */
export interface KeyColumn {
  readonly name: string;
  readonly type: 'TEXT' | 'BIGINT';
}

export interface CodecProjection {
  /** JSON object text for `pk`. */
  readonly pkJson: string;
  /** The key values as JSON texts, in the key columns' order. */
  readonly keyJson: readonly string[];
  /** JSON object text for `data`: numbers written so that CrateDB types them as doubles. */
  readonly dataJson: string;
  /** JSON object text for `aux`. */
  readonly auxJson: string;
  /** The attributes kept in `aux`, each with why (`mixed_array` for the lists commons-codec puts there). */
  readonly diversions: readonly Diversion[];
  /** Whether `data` holds a sub-column this delivery claimed: writing the row may change the mapping. */
  readonly changesMapping: boolean;
}

/** Why a key cannot be a commons-codec `pk`: only when the table's key column cannot hold it. */
export type CodecResult = { readonly ok: true; readonly projection: CodecProjection } | { readonly ok: false; readonly error: string };

// CrateDB's BIGINT refuses both ends of the 64-bit range (observed on 6.4.3, typed-columns.ts).
const BIGINT_MIN = -(2n ** 63n) + 1n;
const BIGINT_MAX = 2n ** 63n - 2n;

/** The key columns of a new table, from a row's key attributes (JSON: strings are S or B, numbers N). */
export function keyColumnsOf(keys: Record<string, unknown>): KeyColumn[] {
  return Object.entries(keys).map(([name, value]) => ({ name, type: isLosslessNumber(value) ? 'BIGINT' : 'TEXT' }));
}

/**
 * Projects an item (parsed losslessly) under the table's key columns and known `data` sub-column
 * types. New types are recorded in `columns` (and `claims`) only for attributes that land in `data`.
 */
export function projectCodecItem(
  item: Record<string, unknown>,
  keys: readonly KeyColumn[],
  columns: ColumnTypes,
  maxColumns: number,
  claims?: ColumnTypes,
): CodecResult {
  const pk = keyJson(item, keys);
  if (!pk.ok) return pk;
  const isKey = new Set(keys.map((k) => k.name));
  const data: string[] = [];
  const aux: string[] = [];
  const diversions: Diversion[] = [];
  let changesMapping = false;
  for (const [name, value] of Object.entries(item)) {
    if (isKey.has(name)) continue;
    const divert = (reason: Diversion['reason']) => {
      aux.push(`${JSON.stringify(name)}:${auxJson(value)}`);
      diversions.push({ path: [name], value: exactJson(value), reason });
    };
    if (Array.isArray(value) && isVaried(value)) {
      divert('mixed_array');
      continue;
    }
    if (Array.isArray(value) && value.length === 0) {
      // commons-codec keeps [] in `data`; CrateDB types it `array(undefined)` until a real value comes.
      const had = columns.get(JSON.stringify([name]));
      if (had === undefined || had === UNTYPED || had.startsWith('array(')) data.push(`${JSON.stringify(name)}:[]`);
      else divert('type_conflict');
      continue;
    }
    // Projected on its own over a layer of the known types, so that an attribute going to `aux`
    // claims no sub-column.
    const layer = new LayeredTypes(columns);
    const own: ColumnTypes = new Map();
    const projection = projectItem({ [name]: value }, layer, maxColumns, own);
    if (projection.diversions.length > 0) {
      divert(projection.diversions[0]!.reason);
      continue;
    }
    layer.commit();
    for (const [path, type] of own) claims?.set(path, type);
    changesMapping ||= projection.changesMapping;
    data.push(projection.dataJson.slice(1, -1));
  }
  return {
    ok: true,
    projection: { pkJson: pk.json, keyJson: pk.values, dataJson: `{${data.join(',')}}`, auxJson: `{${aux.join(',')}}`, diversions, changesMapping },
  };
}

/** The fallback when CrateDB refuses a projected row: every attribute but the key in `aux`. */
export function projectCodecAllToAux(item: Record<string, unknown>, keys: readonly KeyColumn[]): CodecResult {
  const pk = keyJson(item, keys);
  if (!pk.ok) return pk;
  const isKey = new Set(keys.map((k) => k.name));
  const rest = Object.entries(item).filter(([name]) => !isKey.has(name));
  const auxText = `{${rest.map(([name, value]) => `${JSON.stringify(name)}:${auxJson(value)}`).join(',')}}`;
  const diversions = rest.map(([name, value]): Diversion => ({ path: [name], value: exactJson(value), reason: 'refused' }));
  return { ok: true, projection: { pkJson: pk.json, keyJson: pk.values, dataJson: '{}', auxJson: auxText, diversions, changesMapping: false } };
}

/**
 * `aux` is OBJECT(IGNORED): CrateDB keeps any shape there, but stores numbers as doubles and
 * refuses an integer beyond 64 bits (5000, observed on 6.4.3). A number a double holds exactly is
 * written as a double (as commons-codec does); any other is kept as its exact decimal text.
 */
export function auxJson(value: unknown): string {
  return exactJson(value, (n) => doubleJson(n) ?? JSON.stringify(n.value));
}

/** commons-codec's "varied" list: elements of more than one type (here: JSON type, null included). */
function isVaried(list: readonly unknown[]): boolean {
  return new Set(list.map(kindOf)).size > 1;
}

function kindOf(value: unknown): string {
  if (isLosslessNumber(value)) return 'number';
  if (Array.isArray(value)) return 'list';
  return value === null ? 'null' : typeof value;
}

function keyJson(item: Record<string, unknown>, keys: readonly KeyColumn[]): { ok: true; json: string; values: string[] } | { ok: false; error: string } {
  const parts: string[] = [];
  const values: string[] = [];
  for (const { name, type } of keys) {
    const value = item[name];
    const text = isLosslessNumber(value) ? value.value : typeof value === 'string' ? value : null;
    if (text === null) return { ok: false, error: `key attribute ${JSON.stringify(name)} is missing or not a string or number` };
    if (type === 'TEXT') {
      values.push(JSON.stringify(text));
      parts.push(`${JSON.stringify(name)}:${values.at(-1)}`);
      continue;
    }
    const integer = /^-?\d+$/.test(text) ? BigInt(text) : null;
    if (integer === null || integer < BIGINT_MIN || integer > BIGINT_MAX) {
      return { ok: false, error: `key attribute ${JSON.stringify(name)} = ${text} does not fit the table's BIGINT key column` };
    }
    values.push(integer.toString());
    parts.push(`${JSON.stringify(name)}:${integer.toString()}`);
  }
  return { ok: true, json: `{${parts.join(',')}}`, values };
}

/** Known types with changes of its own on top, written through to the base on `commit`. */
class LayeredTypes extends Map<string, string> {
  constructor(private readonly base: ColumnTypes) {
    super();
  }

  override get(key: string): string | undefined {
    return super.has(key) ? super.get(key) : this.base.get(key);
  }

  override has(key: string): boolean {
    return super.has(key) || this.base.has(key);
  }

  override get size(): number {
    let added = 0;
    for (const key of super.keys()) if (!this.base.has(key)) added++;
    return this.base.size + added;
  }

  commit(): void {
    for (const [key, type] of super.entries()) this.base.set(key, type);
  }
}
