import { DecodeError } from './decode-error.js';

// DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 … 9.99…E+125 (CONTEXT.md §2).
const MAX_SIGNIFICANT_DIGITS = 38;
const MIN_POINT = -129; // 1E-130 = 0.1 × 10^-129
const MAX_POINT = 126; // 9.99…E+125 < 1 × 10^126
const CANONICAL_TEXT = /^-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?$/;
const PLAIN_DECIMAL = /^-?(?:0|[1-9]\d*)\.\d+$/;
const NUMBER_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,9}))?$/;

/**
 * The canonical decimal text of a DynamoDB number: no exponent, no leading or trailing zeros,
 * no `+`, `0` for zero. It is a valid JSON number token that keeps every digit, so it can go
 * into JSON text and on to the database without ever passing through a float.
 */
export function canonicalNumber(text: string, path: string): string {
  // Most numbers arrive canonical already: short enough to be within every limit, no exponent.
  if (text.length <= MAX_SIGNIFICANT_DIGITS && CANONICAL_TEXT.test(text) && text !== '-0') return text;
  // Or canonical but for zeros at the end of the fraction (1.50, 2.0, -0.0).
  if (text.length <= MAX_SIGNIFICANT_DIGITS && PLAIN_DECIMAL.test(text)) return withoutTrailingZeros(text);
  const match = NUMBER_TEXT.exec(text);
  const [, sign = '', intPart = '', fracPart = '', exponent = '0'] = match ?? [];
  if (!match || intPart.length + fracPart.length === 0) {
    throw new DecodeError(path, `not a DynamoDB number: ${JSON.stringify(text.slice(0, 64))}`);
  }
  let digits = intPart + fracPart;
  // value = 0.<digits> × 10^point
  let point = intPart.length + Number(exponent);
  const leading = /^0*/.exec(digits)![0].length;
  digits = digits.slice(leading).replace(/0+$/, '');
  point -= leading;
  if (digits.length === 0) return '0';
  if (digits.length > MAX_SIGNIFICANT_DIGITS) {
    throw new DecodeError(path, `number has more than ${MAX_SIGNIFICANT_DIGITS} significant digits`);
  }
  if (point < MIN_POINT || point > MAX_POINT) {
    throw new DecodeError(path, 'number outside DynamoDB range 1E-130 … 9.9999999999999999999999999999999999999E+125');
  }
  const minus = sign === '-' ? '-' : '';
  if (point <= 0) return `${minus}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${minus}${digits}${'0'.repeat(point - digits.length)}`;
  return `${minus}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function withoutTrailingZeros(decimal: string): string {
  let end = decimal.length;
  while (decimal.charCodeAt(end - 1) === 0x30 /* 0 */) end--;
  if (decimal.charCodeAt(end - 1) === 0x2e /* . */) end--;
  const trimmed = decimal.slice(0, end);
  return trimmed === '-0' ? '0' : trimmed;
}

/** Orders canonical numbers by value, for sorting number sets. */
export function compareCanonicalNumbers(a: string, b: string): number {
  const negA = a.startsWith('-');
  const negB = b.startsWith('-');
  if (negA !== negB) return negA ? -1 : 1;
  const magnitude = compareMagnitudes(negA ? a.slice(1) : a, negB ? b.slice(1) : b);
  return negA ? -magnitude : magnitude;
}

// Canonical magnitudes: the longer integer part is larger (0 counts as none); with integer parts
// of one length, text order is value order, as fractions carry no trailing zeros.
function compareMagnitudes(a: string, b: string): number {
  const lengthA = integerLength(a);
  const lengthB = integerLength(b);
  if (lengthA !== lengthB) return lengthA < lengthB ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function integerLength(magnitude: string): number {
  if (magnitude.charCodeAt(0) === 0x30 /* 0 */) return 0;
  const dot = magnitude.indexOf('.');
  return dot < 0 ? magnitude.length : dot;
}
