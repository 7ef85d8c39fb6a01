import type { ColumnSpec, ColumnType } from '../../config/column-map.js';
import type { ColumnValue } from '../../translate/typed-columns.js';
import { isLosslessNumber, parse } from 'lossless-json';
import { isExactDouble, MAX_INDEXED_TEXT_BYTES } from './project-item.js';

/**
 * COLUMN_MAP's typed columns in CrateDB: their types, and the values translate computed made
 * into what CrateDB stores exactly, or NULL (counted) where it would round, refuse the row or
 * fail the request (all observed on CrateDB 6.4.3).
 * https://cratedb.com/docs/crate/reference/en/latest/general/ddl/data-types.html
 */
export const CRATE_TYPES: Record<ColumnType, string> = {
  text: 'TEXT',
  bigint: 'BIGINT',
  // NUMERIC storage needs a precision and a scale; a value with more fraction digits is rounded
  // silently, one with more than 28 integer digits fails the whole bulk request.
  numeric: `NUMERIC(${38}, ${10})`,
  double: 'DOUBLE PRECISION',
  boolean: 'BOOLEAN',
  // Milliseconds: CrateDB keeps no finer fraction.
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  // Any JSON value, as its exact text: an OBJECT would type (and refuse) what it holds.
  json: 'TEXT INDEX OFF STORAGE WITH (columnstore = false)',
  // A map, stored without typing or indexing what it holds.
  object: 'OBJECT(IGNORED)',
};

const NUMERIC_INTEGER_DIGITS = 28;
const NUMERIC_SCALE = 10;
// CrateDB's BIGINT refuses both ends of the 64-bit range (observed on 6.4.3: 2^63-1 and -2^63
// "exceed allowed range for column of type bigint"; 2^63-2 and -2^63+1 are stored).
const BIGINT_MIN = -(2n ** 63n) + 1n;
const BIGINT_MAX = 2n ** 63n - 2n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

export interface CrateColumnValues {
  /** One JSON text per column, in COLUMN_MAP's order, for `bulk_args`. */
  readonly json: readonly string[];
  /** Values translate converted that CrateDB cannot store exactly: NULL, counted as `column_type`. */
  readonly unconverted: number;
}

export function crateColumnValues(columns: readonly ColumnSpec[], values: readonly ColumnValue[] | undefined): CrateColumnValues {
  let unconverted = 0;
  const json = columns.map((column, i) => {
    const value = values?.[i] ?? null;
    if (value === null) return 'null';
    const stored = crateValue(column.type, value);
    if (stored === null) unconverted++;
    return stored ?? 'null';
  });
  return { json, unconverted };
}

/** One converted value → its JSON text in `bulk_args`, or null when CrateDB cannot store it exactly. */
export function crateValue(type: ColumnType, value: string | number | boolean): string | null {
  switch (type) {
    case 'text':
      // An indexed text over Lucene's term limit refuses the whole row.
      return Buffer.byteLength(String(value)) > MAX_INDEXED_TEXT_BYTES ? null : JSON.stringify(value);
    case 'bigint': {
      // Raw digits: a JSON number, never through a double.
      const n = BigInt(String(value));
      return n >= BIGINT_MIN && n <= BIGINT_MAX ? n.toString() : null;
    }
    case 'numeric':
      return numericText(String(value));
    case 'timestamp': {
      // Epoch milliseconds, which CrateDB stores as they are (and the stand-in as a bigint).
      const ms = Date.parse(String(value));
      return Number.isNaN(ms) ? null : String(ms);
    }
    case 'json':
      return JSON.stringify(value);
    case 'object':
      return objectHoldsExactly(parse(String(value))) ? String(value) : null;
    default:
      return JSON.stringify(value);
  }
}

/**
 * OBJECT(IGNORED) keeps an integer within 64 bits exactly and any other number as a double
 * (1234567890.1234567890123456789 came back as 1.2345678901234567E9), and refuses the row for an
 * integer beyond 64 bits (5000, `can not write type [class java.math.BigInteger]`; observed on
 * 6.4.3): a map holding a number neither keeps is NULL.
 */
function objectHoldsExactly(value: unknown): boolean {
  if (isLosslessNumber(value)) {
    if (!/^-?\d+$/.test(value.value)) return isExactDouble(value);
    const n = BigInt(value.value);
    return n >= INT64_MIN && n <= INT64_MAX;
  }
  if (Array.isArray(value)) return value.every(objectHoldsExactly);
  if (value !== null && typeof value === 'object') return Object.values(value).every(objectHoldsExactly);
  return true;
}

/** Exact decimal text that NUMERIC(38, 10) holds without rounding, as a JSON string; else null. */
export function numericText(text: string): string | null {
  const match = DECIMAL.exec(text.trim());
  if (!match) return null;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  const digits = whole + fraction;
  if (digits === '') return null;
  // Value = digits × 10^-scale.
  const scale = fraction.length - Number(exponent);
  const allZero = /^0*$/.test(digits);
  // Far beyond either bound, only zero fits (and building the digits would be wasteful).
  if (-scale > NUMERIC_INTEGER_DIGITS || scale > digits.length + NUMERIC_SCALE) return allZero ? '"0"' : null;
  let int: string;
  let frac: string;
  if (scale <= 0) {
    int = digits + '0'.repeat(-scale);
    frac = '';
  } else {
    const padded = digits.padStart(scale + 1, '0');
    int = padded.slice(0, padded.length - scale);
    frac = padded.slice(padded.length - scale);
  }
  int = int.replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  if (frac.length > NUMERIC_SCALE || (int !== '0' && int.length > NUMERIC_INTEGER_DIGITS)) return null;
  const zero = int === '0' && frac === '';
  return JSON.stringify(`${sign === '-' && !zero ? '-' : ''}${int}${frac === '' ? '' : `.${frac}`}`);
}
