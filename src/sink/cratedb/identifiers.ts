/** CrateDB identifiers, always quoted (reserved words, dots, case, unicode are then safe). */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) throw new Error(`invalid identifier ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** Always schema-qualified: CrateDB binds `Default-Schema` to the TCP connection (CONTEXT.md §3). */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}

/**
 * A string literal. Standard SQL: only `'` is special (backslashes are literal outside E'…').
 * For primary-key lookups, which must be literals to be real-time (observed on CrateDB 6.4.3).
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('a CrateDB literal cannot hold U+0000');
  return `'${value.replaceAll("'", "''")}'`;
}
