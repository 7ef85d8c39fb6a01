import { isLosslessNumber, parse, stringify } from 'lossless-json';
import type { ColumnSpec, PathSegment, TimestampSource } from '../config/column-map.js';

/**
 * A typed column's value, ready for any SQL sink: text as is; bigint and numeric as exact
 * decimal text (no double in between); double as a number; boolean; timestamp as ISO 8601 UTC
 * text with microseconds; json and object as JSON text. `null` when the attribute is absent or
 * null, or when its value does not convert (then the item still holds it exactly).
 */
export type ColumnValue = string | number | boolean | null;

export interface TypedColumns {
  readonly values: readonly ColumnValue[];
  /** Columns whose attribute was present but did not convert. */
  readonly unconverted: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// Date, then optionally time (T or space), fraction and zone; no zone is UTC.
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const MICROS_PER = { epoch_seconds: 1_000_000n, epoch_millis: 1_000n, epoch_micros: 1n } as const;
// 0001-01-01 and 9999-12-31T23:59:59.999999Z: what every sink's timestamp type holds.
const MIN_MICROS = -62_135_596_800_000_000n;
const MAX_MICROS = 253_402_300_799_999_999n;

/** The item (JSON text with exact numbers) → its typed columns, in the specs' order. */
export function typedColumns(specs: readonly ColumnSpec[], itemJson: string): TypedColumns {
  const item = parse(itemJson) as unknown;
  let unconverted = 0;
  const values = specs.map((spec) => {
    const value = at(item, spec.path);
    if (value === undefined || value === null) return null;
    const converted = convert(value, spec);
    if (converted === null) unconverted++;
    return converted;
  });
  return { values, unconverted };
}

function at(value: unknown, path: readonly PathSegment[]): unknown {
  let here = value;
  for (const segment of path) {
    if (typeof segment === 'number') {
      if (!Array.isArray(here)) return undefined;
      here = here[segment];
    } else {
      if (here === null || typeof here !== 'object' || Array.isArray(here) || isLosslessNumber(here)) return undefined;
      here = Object.hasOwn(here, segment) ? (here as Record<string, unknown>)[segment] : undefined;
    }
  }
  return here;
}

/** One present value → its column's value, or null when it does not convert. */
export function convert(value: unknown, spec: Pick<ColumnSpec, 'type' | 'from'>): ColumnValue {
  switch (spec.type) {
    case 'text':
      if (typeof value === 'string') return value;
      if (isLosslessNumber(value)) return value.value;
      return typeof value === 'boolean' ? String(value) : null;
    case 'bigint':
      return integerText(numberText(value));
    case 'numeric': {
      const text = numberText(value);
      return text === null ? null : text;
    }
    case 'double': {
      const text = numberText(value);
      const n = text === null ? NaN : Number(text);
      return Number.isFinite(n) ? n : null;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      return null;
    case 'timestamp':
      return timestamp(value, spec.from ?? 'iso8601');
    case 'json':
      return stringify(value) ?? null;
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value) && !isLosslessNumber(value) ? (stringify(value) ?? null) : null;
  }
}

/** A number, or a string holding one, as its decimal text. */
function numberText(value: unknown): string | null {
  if (isLosslessNumber(value)) return value.value;
  if (typeof value === 'string' && DECIMAL.test(value.trim())) return value.trim();
  return null;
}

/** Exact integer text within 64 bits ("42", "42.0", "4.2e1" → "42"), else null. */
function integerText(text: string | null): string | null {
  const exact = text === null ? null : exactInteger(text);
  return exact !== null && exact >= INT64_MIN && exact <= INT64_MAX ? exact.toString() : null;
}

function exactInteger(text: string): bigint | null {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return null;
  const [, sign, whole = '', fraction = '', exponentText] = match;
  const exponent = Number(exponentText ?? 0);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) return null;
  let digits = whole + fraction;
  let point = whole.length + exponent;
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  const intPart = digits.slice(0, point).padEnd(point, '0');
  if (/[1-9]/.test(digits.slice(point))) return null;
  const n = BigInt(intPart === '' ? '0' : intPart);
  return sign === '-' ? -n : n;
}

function timestamp(value: unknown, from: TimestampSource): string | null {
  if (from === 'iso8601') return typeof value === 'string' ? isoTimestamp(value.trim()) : null;
  const text = numberText(value);
  const micros = text === null ? null : scaledMicros(text, MICROS_PER[from]);
  return micros === null ? null : isoFromMicros(micros);
}

/** An epoch number in some unit → microseconds, rounded half away from zero; null if absurd. */
function scaledMicros(text: string, factor: bigint): bigint | null {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) return null;
  const [, sign, whole = '', fraction = '', exponentText] = match;
  const exponent = Number(exponentText ?? 0);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 40) return null;
  // value = digits × 10^(exponent − fraction length); × factor; keep one extra digit to round.
  const digits = BigInt((whole + fraction).replace(/^0+(?=\d)/, '') || '0') * factor * 10n;
  const scale = exponent - fraction.length;
  let tenths = scale >= 0 ? digits * 10n ** BigInt(scale) : digits / 10n ** BigInt(-scale);
  tenths = (tenths + 5n) / 10n;
  const micros = sign === '-' ? -tenths : tenths;
  return micros >= MIN_MICROS && micros <= MAX_MICROS ? micros : null;
}

function isoTimestamp(text: string): string | null {
  const m = ISO_8601.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const hours = Number(z[2]);
    const minutes = Number(z[3] ?? 0);
    if (hours > 23 || minutes > 59) return null;
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(Number(h), Number(mi) - offsetMinutes, Number(s), 0);
  const micros = BigInt(date.getTime()) * 1000n + BigInt(fraction.padEnd(6, '0').slice(0, 6));
  return micros >= MIN_MICROS && micros <= MAX_MICROS ? isoFromMicros(micros) : null;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Microseconds since the epoch → `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function isoFromMicros(micros: bigint): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = micros - millis * 1000n;
  const date = new Date(Number(millis));
  const year = date.getUTCFullYear();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const ms = date.getUTCMilliseconds() * 1000 + Number(rest);
  return `${pad(year, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(ms, 6)}Z`;
}
