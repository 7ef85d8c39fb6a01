import { parse } from 'lossless-json';
import { canonicalValue } from './canonical-json.js';
import type { Diversion } from './stored-rows.js';

/**
 * A CrateDB row's item rebuilt from `data` (numbers written as doubles: `1.0`, `1e+100`) and the
 * `aux` diversions (exact JSON at a path), with numbers back in DynamoDB's canonical decimal form.
 */
export function reassemble(dataJson: string, aux: readonly Diversion[]): unknown {
  // A `data` that is not an object (null) holds nothing: the comparison then names what is missing.
  const parsed = canonicalValue(parse(dataJson));
  const item = (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {}) as Record<string, unknown>;
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
