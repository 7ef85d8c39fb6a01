import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';
import { canonicalNumber } from '../../src/decode/dynamo-number.js';

/**
 * A JSON value with its numbers in DynamoDB's canonical decimal form (a double's `1.0` or `1e+100`
 * as `1` and `1` followed by 100 zeros) and object keys sorted.
 */
export function canonicalValue(value: unknown): unknown {
  if (isLosslessNumber(value)) return new LosslessNumber(canonicalNumber(value.value, 'data'));
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonicalValue(v)]));
  }
  return value;
}

/**
 * JSON text that compares equal whatever database wrote it: no spacing, keys sorted, numbers
 * canonical (`{"a": 2.0, "B": 1}` → `{"B":1,"a":2}`).
 */
export function canonicalJson(text: string): string {
  return stringify(canonicalValue(parse(text))) ?? 'null';
}
