export { qualified, quoteIdent } from '../sql/identifiers.js';

/**
 * A string literal. Standard SQL: only `'` is special (backslashes are literal outside E'…').
 * For primary-key lookups, which must be literals to be real-time (observed on CrateDB 6.4.3).
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('a CrateDB literal cannot hold U+0000');
  return `'${value.replaceAll("'", "''")}'`;
}
