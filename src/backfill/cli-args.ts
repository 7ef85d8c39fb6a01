import { checkEndpoint, integer, parseOptions } from '../cli/options.js';

export interface BackfillArgs {
  readonly table: string;
  readonly segments: number;
  readonly endpoint: string | undefined;
  readonly region: string | undefined;
  readonly statePath: string;
  readonly pageSize: number | undefined;
  readonly restart: boolean;
  /** After a complete run, tombstone the rows of items that were gone before the stream was on. */
  readonly prune: boolean;
}

export type ArgsResult = { ok: true; args: BackfillArgs } | { ok: true; help: true } | { ok: false; problems: string[] };

export const USAGE = `usage: npm run backfill -- --table <name> [--segments N] [--endpoint URL] [--region R]
                            [--state FILE] [--page-size N] [--restart] [--prune]

  --table      the DynamoDB table to copy (required)
  --segments   parallel Scan segments (default 4; at most 1000000)
  --endpoint   a DynamoDB-compatible endpoint (DynamoDB Local, dynalite, …)
  --region     AWS region (default: AWS_REGION, else the SDK's configuration)
  --state      cursor file to resume from (default backfill-state/<table>.json)
  --page-size  items per Scan page (default: DynamoDB's 1 MB pages)
  --restart    start a new run, ignoring the cursor file
  --prune      after a complete run, mark as deleted the rows it no longer saw
               (items deleted before the stream was on; see README, "Backfill")
The target database comes from the same environment variables as the service (SINK_URL, …).`;

/** argv (without node and the script) → options, every problem reported at once. */
export function parseBackfillArgs(argv: readonly string[]): ArgsResult {
  const parsed = parseOptions(argv, {
    table: { type: 'string' },
    segments: { type: 'string' },
    endpoint: { type: 'string' },
    region: { type: 'string' },
    state: { type: 'string' },
    'page-size': { type: 'string' },
    restart: { type: 'boolean', default: false },
    prune: { type: 'boolean', default: false },
  });
  if (!parsed.ok || 'help' in parsed) return parsed;
  const { values } = parsed;
  const problems: string[] = [];
  const table = values.table ?? '';
  // DynamoDB table names: 3–255 of [a-zA-Z0-9_.-].
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(table)) problems.push('--table: required, 3 to 255 of a-z A-Z 0-9 _ . -');
  const segments = integer(values.segments ?? '4', '--segments', 1, 1_000_000, problems);
  const pageSize = values['page-size'] === undefined ? undefined : integer(values['page-size'], '--page-size', 1, 1_000_000, problems);
  checkEndpoint(values.endpoint, problems);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    args: {
      table,
      segments,
      endpoint: values.endpoint,
      region: values.region,
      statePath: values.state ?? `backfill-state/${table}.json`,
      pageSize,
      restart: values.restart === true,
      prune: values.prune === true,
    },
  };
}
