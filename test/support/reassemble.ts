import { isLosslessNumber, LosslessNumber, parse } from 'lossless-json';
import { canonicalNumber } from '../../src/decode/dynamo-number.js';

/**
 * A CrateDB row's item rebuilt from `data` (numbers written as doubles: `1.0`, `1e+100`) and the
 * `aux` diversions (exact JSON at a path), with numbers back in DynamoDB's canonical decimal form.
 */
export function reassemble(dataJson: string, auxJson: string): unknown {
  const item = canonical(parse(dataJson)) as Record<string, unknown>;
  const aux = (JSON.parse(auxJson) ?? []) as { path: string[]; value: string }[];
  for (const { path, value } of aux) {
    let at: Record<string, unknown> = item;
    for (const segment of path.slice(0, -1)) {
      if (typeof at[segment] !== 'object' || at[segment] === null) at[segment] = {};
      at = at[segment] as Record<string, unknown>;
    }
    at[path[path.length - 1]!] = parse(value);
  }
  return item;
}

function canonical(value: unknown): unknown {
  if (isLosslessNumber(value)) return new LosslessNumber(canonicalNumber(value.value, 'data'));
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, canonical(v)]));
  return value;
}
