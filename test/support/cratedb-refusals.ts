import type { TableSettings } from '../../src/sink/cratedb/statements.js';
import { createChangeLogTable, createStateTable } from '../../src/sink/cratedb/statements.js';
import { quoteIdent } from '../../src/sink/cratedb/identifiers.js';

/**
 * Ways to make a real CrateDB refuse rows the way it refuses a value it cannot store: the sink's
 * own tables, created before the sink does, with a CHECK constraint (CrateDB 6.4.3 answers a row
 * that fails one with -2 and code 4000 in a bulk, and has no ALTER TABLE … ADD CONSTRAINT).
 */
function withCheck(create: string, name: string, check: string): string {
  const end = create.lastIndexOf('\n)');
  return `${create.slice(0, end)},\n  CONSTRAINT ${quoteIdent(name)} CHECK (${check})${create.slice(end)}`;
}

/** JSON text shows U+0000 as the escape `\u0000` (the exact item, the change-log images). */
const NUL_ESCAPE = "'\\u0000'";

/** The state table and its change log, refusing rows whose item holds U+0000. */
export function tablesRefusingNul(schema: string, table: string, settings: TableSettings): string[] {
  return [
    withCheck(createStateTable(schema, table, settings), 'refuses_nul', `strpos("item", ${NUL_ESCAPE}) = 0`),
    withCheck(createChangeLogTable(schema, table, settings), 'refuses_nul', `strpos("new_image", ${NUL_ESCAPE}) = 0`),
  ];
}

/** The state table, refusing rows whose `data` holds the attribute (declared as TEXT up front). */
export function stateTableRefusing(schema: string, table: string, settings: TableSettings, attribute: string): string {
  const create = createStateTable(schema, table, settings).replace('"data" OBJECT(DYNAMIC)', `"data" OBJECT(DYNAMIC) AS (${quoteIdent(attribute)} TEXT)`);
  return withCheck(create, 'refuses_attribute', `"data"[${sqlString(attribute)}] IS NULL`);
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
