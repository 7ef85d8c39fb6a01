import { integer, parseOptions } from '../cli/options.js';

export interface RematerializeArgs {
  /** The target table (after TABLE_MAP), as COLUMN_MAP names it. */
  readonly table: string;
  readonly batchSize: number;
  readonly statePath: string;
  readonly restart: boolean;
}

export type ArgsResult = { ok: true; args: RematerializeArgs } | { ok: true; help: true } | { ok: false; problems: string[] };

export const DEFAULT_BATCH_SIZE = 500;

export const USAGE = `usage: npm run rematerialize -- --table <name> [--batch-size N] [--state FILE] [--restart]

  --table       the target table whose typed columns to recompute, as COLUMN_MAP names it
                (the table in the database, after TABLE_MAP) (required)
  --batch-size  rows read and written per statement (default ${DEFAULT_BATCH_SIZE}; at most 10000)
  --state       cursor file to resume from (default rematerialize-state/<table>.json)
  --restart     start a new run, ignoring the cursor file
The database and the map come from the same environment variables as the service (SINK_URL,
TARGET_SCHEMA, COLUMN_MAP, …).`;

/** argv (without node and the script) → options, every problem reported at once. */
export function parseRematerializeArgs(argv: readonly string[]): ArgsResult {
  const parsed = parseOptions(argv, {
    table: { type: 'string' },
    'batch-size': { type: 'string' },
    state: { type: 'string' },
    restart: { type: 'boolean', default: false },
  });
  if (!parsed.ok || 'help' in parsed) return parsed;
  const { values } = parsed;
  const problems: string[] = [];
  const table = values.table ?? '';
  // Target names are SQL identifiers of at most 63 bytes (PostgreSQL's limit); the path must not leave the state folder.
  if (table.length === 0 || Buffer.byteLength(table) > 63 || /[/\\\u0000]/.test(table)) {
    problems.push('--table: required, a target table name of at most 63 bytes');
  }
  const batchSize = integer(values['batch-size'] ?? String(DEFAULT_BATCH_SIZE), '--batch-size', 1, 10_000, problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    args: { table, batchSize, statePath: values.state ?? `rematerialize-state/${table}.json`, restart: values.restart === true },
  };
}
