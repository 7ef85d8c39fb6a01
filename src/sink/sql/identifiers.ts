export { CHANGE_LOG_SUFFIX as changeLogSuffix } from '../../translate/target-name.js';

/** A SQL identifier, always quoted, so that any name (reserved words, dots, case, unicode) is safe. */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) throw new Error(`invalid identifier ${JSON.stringify(name)}`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** Always schema-qualified: CrateDB binds `Default-Schema` to the TCP connection (CONTEXT.md §3). */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
