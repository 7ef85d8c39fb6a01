import { isLosslessNumber, parse, type LosslessNumber } from 'lossless-json';

/**
 * Splits a DynamoDB item (JSON text with exact numbers) between CrateDB's `data` OBJECT(DYNAMIC),
 * where every value must keep the type its sub-column was created with, and `aux`, which keeps
 * exactly, with its path, each value `data` cannot hold (CONTEXT.md §3). Nothing is truncated.
 */

/** The types this projection writes into `data`, and what CrateDB may already hold there. */
export type CrateType = string;

export type DiversionReason =
  | 'invalid_key' // `.`, `[`, `]`, tab, CR or LF in an attribute name: CrateDB refuses such keys
  | 'type_conflict' // the sub-column exists with another type (first type wins in CrateDB)
  | 'number_precision' // not exactly a double (more than ~15-17 digits, beyond 2^53, …)
  | 'mixed_array' // CrateDB arrays hold one type
  | 'nested_array' // arrays of arrays need CrateDB 6.0 in dynamic objects
  | 'empty_array' // no element to give the sub-column a type
  | 'column_limit' // the table is close to CrateDB's 1000-column limit
  | 'long_text' // over 32,766 UTF-8 bytes: Lucene cannot index the term, CrateDB refuses the row
  | 'refused'; // CrateDB refused the projected row: the whole item is kept in aux

export interface Diversion {
  readonly path: readonly string[];
  /** The value as exact JSON text. */
  readonly value: string;
  readonly reason: DiversionReason;
}

export interface Projection {
  /** JSON object text for `data`: numbers written so that CrateDB types them as doubles. */
  readonly dataJson: string;
  readonly diversions: readonly Diversion[];
  /**
   * Whether `data` holds a sub-column this delivery claimed (new, or typed from `undefined`):
   * writing the row may change the table's mapping.
   */
  readonly changesMapping: boolean;
}

/** Known sub-column types by path (JSON array of the segments), shared by the rows of a table. */
export type ColumnTypes = Map<string, CrateType>;

/**
 * A sub-column CrateDB created for `null` (`undefined`) or `[]` (`array(undefined)`), 6.1.3+:
 * it counts toward the column limit and takes the type of the first real value.
 */
export const UNTYPED = 'undefined';
const UNTYPED_ARRAY = `array(${UNTYPED})`;

/** The longest text CrateDB indexes: Lucene's term limit, in UTF-8 bytes (observed on 6.4.3). */
export const MAX_INDEXED_TEXT_BYTES = 32_766;
// A UTF-16 code unit is at most 3 UTF-8 bytes: shorter strings need no byte count.
const LONG_TEXT_UNITS = Math.floor(MAX_INDEXED_TEXT_BYTES / 3);

/** What a value cannot be in `data`, found before any sub-column is claimed. */
const UNFIT: Record<string, { reason: DiversionReason; like: string }> = {
  number_precision: { reason: 'number_precision', like: 'double' },
  long_text: { reason: 'long_text', like: 'text' },
};

// CrateDB refuses these in object keys (CONTEXT.md §3); `]` would also break its column paths.
export const INVALID_KEY = /[.[\]\t\r\n]/;
// CrateDB 6.4.3 cannot read a row back by key once an upsert has set null under a name holding a
// character outside the BMP (an emoji): 5000, Invalid UTF-8 (observed). Such a null stays in aux.
const OUTSIDE_BMP = /[\uD800-\uDFFF]/;

type Result = { ok: true; json: string; type: CrateType | null } | { ok: false; reason: DiversionReason };

export function parseItem(json: string): Record<string, unknown> {
  return parse(json) as Record<string, unknown>;
}

/**
 * Projects an item under the table's known column types; records new types in `columns`, and in
 * `claims` each path whose type this projection assumed (unknown or untyped until now), which
 * CrateDB confirms only once the write is done (another writer may have typed it otherwise).
 */
export function projectItem(item: Record<string, unknown>, columns: ColumnTypes, maxColumns: number, claims?: ColumnTypes): Projection {
  const diversions: Diversion[] = [];
  const known: Known = { columns, max: maxColumns, claims, changesMapping: false };
  const dataJson = projectObject(item, [], known, diversions);
  return { dataJson, diversions, changesMapping: known.changesMapping };
}

interface Known {
  readonly columns: ColumnTypes;
  readonly max: number;
  readonly claims: ColumnTypes | undefined;
  /** Set once the projection touches a claimed path. */
  changesMapping: boolean;
}

/**
 * The fallback when CrateDB refuses a projected row: `data` keeps only the key attributes (those
 * whose names CrateDB accepts), `aux` everything else.
 */
export function projectAllToAux(item: Record<string, unknown>, keys: Record<string, unknown>): Projection {
  const diversions: Diversion[] = [];
  const known: Known = { columns: new Map(), max: Number.MAX_SAFE_INTEGER, claims: undefined, changesMapping: false };
  const dataJson = projectObject(keys, [], known, diversions);
  for (const [name, value] of Object.entries(item)) {
    if (!Object.hasOwn(keys, name)) diversions.push({ path: [name], value: exactJson(value), reason: 'refused' });
  }
  // The key attributes' sub-columns exist once any row was written; a rare new one is harmless here.
  return { dataJson, diversions, changesMapping: false };
}

function projectObject(obj: Record<string, unknown>, path: string[], known: Known, out: Diversion[]): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const at = [...path, key];
    if (INVALID_KEY.test(key) || (value === null && OUTSIDE_BMP.test(key))) {
      out.push({ path: at, value: exactJson(value), reason: 'invalid_key' });
      continue;
    }
    const inner: Diversion[] = [];
    const result = projectValue(value, at, known, inner);
    if (result.ok) {
      parts.push(`${JSON.stringify(key)}:${result.json}`);
      out.push(...inner);
    } else {
      out.push({ path: at, value: exactJson(value), reason: result.reason });
    }
  }
  return `{${parts.join(',')}}`;
}

function projectValue(value: unknown, path: string[], known: Known, out: Diversion[]): Result {
  if (value === null) {
    // null creates an `undefined` sub-column, which the first real value types later.
    const key = JSON.stringify(path);
    if (!known.columns.has(key)) {
      known.columns.set(key, UNTYPED);
      known.claims?.set(key, UNTYPED);
    }
    if (known.claims?.has(key)) known.changesMapping = true;
    return { ok: true, json: 'null', type: null };
  }
  const scalar = scalarOf(value);
  if (scalar) return claim(path, scalar.type, scalar.json, known);
  if (Array.isArray(value)) return projectArray(value, path, known);
  const obj = value as Record<string, unknown>;
  const claimed = claim(path, 'object', '', known);
  if (!claimed.ok) return claimed;
  return { ok: true, json: projectObject(obj, path, known, out), type: 'object' };
}

function projectArray(items: unknown[], path: string[], known: Known): Result {
  const present = items.filter((v) => v !== null);
  if (present.length === 0) return { ok: false, reason: 'empty_array' };
  if (present.some((v) => Array.isArray(v))) return { ok: false, reason: 'nested_array' };
  const scalars = present.map(scalarOf);
  if (scalars.every((s) => s !== null)) {
    const types = new Set(scalars.map((s) => UNFIT[s!.type]?.like ?? s!.type));
    if (types.size > 1) return { ok: false, reason: 'mixed_array' };
    for (const s of scalars) if (UNFIT[s!.type]) return { ok: false, reason: UNFIT[s!.type]!.reason };
    const type = `array(${[...types][0]})`;
    const json = `[${items.map((v) => (v === null ? 'null' : scalarOf(v)?.json)).join(',')}]`;
    return claim(path, type, json, known);
  }
  if (scalars.some((s) => s !== null)) return { ok: false, reason: 'mixed_array' };
  // An array of objects: their keys are sub-columns of this path. Any diversion inside one
  // element diverts the whole array, since aux paths carry no element index.
  const claimed = claim(path, 'array(object)', '', known);
  if (!claimed.ok) return claimed;
  const inner: Diversion[] = [];
  const json = items.map((v) => (v === null ? 'null' : projectObject(v as Record<string, unknown>, path, known, inner)));
  if (inner.length > 0) return { ok: false, reason: inner[0]!.reason };
  return { ok: true, json: `[${json.join(',')}]`, type: 'array(object)' };
}

function claim(path: string[], type: string, json: string, known: Known): Result {
  const { columns, max, claims } = known;
  const unfit = UNFIT[type];
  if (unfit) return { ok: false, reason: unfit.reason };
  const key = JSON.stringify(path);
  const had = columns.get(key);
  // A sub-column typed `undefined` (by null) refuses every list, `[]` too: 5000,
  // NullPointerException (observed on 6.4.3). Scalars and objects type it.
  if (had === UNTYPED && type.startsWith('array(')) return { ok: false, reason: 'type_conflict' };
  if (had === undefined || had === UNTYPED || (had === UNTYPED_ARRAY && type.startsWith('array('))) {
    if (had === undefined && columns.size >= max) return { ok: false, reason: 'column_limit' };
    columns.set(key, type);
    claims?.set(key, type);
  } else if (had !== type) {
    return { ok: false, reason: 'type_conflict' };
  }
  if (claims?.has(key)) known.changesMapping = true;
  return { ok: true, json, type };
}

function scalarOf(value: unknown): { type: string; json: string } | null {
  if (typeof value === 'string') {
    if (value.length > LONG_TEXT_UNITS && Buffer.byteLength(value, 'utf8') > MAX_INDEXED_TEXT_BYTES) return { type: 'long_text', json: '' };
    return { type: 'text', json: JSON.stringify(value) };
  }
  if (typeof value === 'boolean') return { type: 'boolean', json: String(value) };
  if (value === null) return { type: 'null', json: 'null' };
  if (isLosslessNumber(value)) return doubleOf(value);
  return null;
}

/**
 * A number goes into `data` only when a double holds it exactly (its shortest decimal is the
 * DynamoDB decimal), and is written with a fraction or exponent so that a new sub-column is
 * created as DOUBLE, never BIGINT (which would later truncate 1.5 to 1 silently).
 */
function doubleOf(value: LosslessNumber): { type: string; json: string } {
  const json = doubleJson(value);
  return json === null ? { type: 'number_precision', json: '' } : { type: 'double', json };
}

/** A number as the JSON text of a double (`42.0`), or null when a double cannot hold it exactly. */
export function doubleJson(value: LosslessNumber): string | null {
  if (!isExactDouble(value)) return null;
  const double = Number(value.value);
  const text = String(double);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** Whether a double holds the number exactly: its shortest decimal is the number's. */
export function isExactDouble(value: LosslessNumber): boolean {
  const double = Number(value.value);
  return Number.isFinite(double) && sameDecimal(String(double), value.value);
}

function sameDecimal(shortest: string, exact: string): boolean {
  if (shortest === exact) return true;
  // 1e+125 vs 1000…0, 1e-7 vs 0.0000001: compare by value digits.
  return normalize(shortest) === normalize(exact);
}

function normalize(text: string): string {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/.exec(text);
  if (!match) return text;
  const [, sign, int = '', frac = '', exp = '0'] = match;
  let digits = int + frac;
  let point = int.length + Number(exp);
  const lead = /^0*/.exec(digits)![0].length;
  digits = digits.slice(lead).replace(/0+$/, '');
  point -= lead;
  return digits.length === 0 ? '0' : `${sign}${digits}e${point}`;
}

/** Exact JSON text of a parsed (lossless) value; `number` may write numbers otherwise. */
export function exactJson(value: unknown, number: (n: LosslessNumber) => string = (n) => n.value): string {
  if (isLosslessNumber(value)) return number(value);
  if (Array.isArray(value)) return `[${value.map((v) => exactJson(v, number)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${exactJson(v, number)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
