import { checkEndpoint, integer, parseOptions } from '../cli/options.js';
import type { StartPosition } from './stream-source.js';

export type StreamChoice =
  | { readonly kind: 'dynamodb-table'; readonly table: string }
  | { readonly kind: 'dynamodb-stream'; readonly arn: string }
  | { readonly kind: 'kinesis-stream'; readonly stream: string };

export interface ConsumeArgs {
  readonly stream: StreamChoice;
  readonly start: StartPosition;
  readonly reset: boolean;
  readonly endpoint: string | undefined;
  readonly region: string | undefined;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly batchSize: number;
}

export type ConsumeArgsResult = { ok: true; args: ConsumeArgs } | { ok: true; help: true } | { ok: false; problems: string[] };

export const CONSUME_USAGE = `usage: npm run consume -- (--dynamodb-table NAME | --dynamodb-stream ARN | --kinesis-stream NAME|ARN)
                           [--start trim-horizon|latest|<ISO-8601 time>] [--reset]
                           [--endpoint URL] [--region R] [--lease-seconds N] [--poll-ms N] [--batch-size N]

  --dynamodb-table   read the table's latest DynamoDB stream
  --dynamodb-stream  read this DynamoDB stream (its ARN)
  --kinesis-stream   read this Kinesis data stream (the table's Kinesis streaming destination)
  --start            where shards without a checkpoint start (default trim-horizon: the oldest record)
  --reset            drop the stream's checkpoints first, so every shard starts at --start
                     (after a trimmed checkpoint; then run npm run backfill for what was missed)
  --endpoint         an AWS-compatible endpoint (moto, kinesalite, LocalStack, …)
  --region           AWS region (default: AWS_REGION, else the SDK's configuration)
  --lease-seconds    the stream's lease lives this long unless renewed (default 30; a second
                     consumer takes over after it)
  --poll-ms          pause between reads of a shard that had nothing new (default 1000)
  --batch-size       records per GetRecords (default 1000; Kinesis allows 10000)
The target database and PORT come from the same environment variables as the service (SINK_URL, …).`;

/** argv (without node and the script) → options, every problem reported at once. */
export function parseConsumeArgs(argv: readonly string[]): ConsumeArgsResult {
  const parsed = parseOptions(argv, {
    'dynamodb-table': { type: 'string' },
    'dynamodb-stream': { type: 'string' },
    'kinesis-stream': { type: 'string' },
    start: { type: 'string' },
    reset: { type: 'boolean', default: false },
    endpoint: { type: 'string' },
    region: { type: 'string' },
    'lease-seconds': { type: 'string' },
    'poll-ms': { type: 'string' },
    'batch-size': { type: 'string' },
  });
  if (!parsed.ok || 'help' in parsed) return parsed;
  const { values } = parsed;
  const problems: string[] = [];
  const given = (['dynamodb-table', 'dynamodb-stream', 'kinesis-stream'] as const).filter((k) => values[k] !== undefined);
  if (given.length !== 1) problems.push('exactly one of --dynamodb-table, --dynamodb-stream, --kinesis-stream is required');
  const table = values['dynamodb-table'];
  if (table !== undefined && !/^[a-zA-Z0-9_.-]{3,255}$/.test(table)) problems.push('--dynamodb-table: 3 to 255 of a-z A-Z 0-9 _ . -');
  const arn = values['dynamodb-stream'];
  if (arn !== undefined && !/^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\/.+$/.test(arn))
    problems.push('--dynamodb-stream: expected arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>');
  const kinesis = values['kinesis-stream'];
  if (kinesis !== undefined && !/^(arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/)?[a-zA-Z0-9_.-]{1,128}$/.test(kinesis))
    problems.push('--kinesis-stream: a stream name (1 to 128 of a-z A-Z 0-9 _ . -) or its ARN');
  const start = startPosition(values.start ?? 'trim-horizon');
  if (start === null) problems.push('--start: trim-horizon, latest, or an ISO-8601 time such as 2026-12-01T07:00:00Z');
  checkEndpoint(values.endpoint, problems);
  const leaseSeconds = integer(values['lease-seconds'] ?? '30', '--lease-seconds', 3, 3600, problems);
  const pollMs = integer(values['poll-ms'] ?? '1000', '--poll-ms', 10, 60_000, problems);
  const batchSize = integer(values['batch-size'] ?? '1000', '--batch-size', 1, 10_000, problems);
  if (problems.length > 0) return { ok: false, problems };
  const stream: StreamChoice =
    table !== undefined
      ? { kind: 'dynamodb-table', table }
      : arn !== undefined
        ? { kind: 'dynamodb-stream', arn }
        : { kind: 'kinesis-stream', stream: kinesis! };
  return {
    ok: true,
    args: {
      stream,
      start: start!,
      reset: values.reset === true,
      endpoint: values.endpoint,
      region: values.region,
      leaseMs: leaseSeconds * 1000,
      pollMs,
      batchSize,
    },
  };
}

function startPosition(text: string): StartPosition | null {
  if (text === 'trim-horizon') return { kind: 'trim-horizon' };
  if (text === 'latest') return { kind: 'latest' };
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? null : { kind: 'at-time', time };
}
