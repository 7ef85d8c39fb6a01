import { describe, expect, it } from 'vitest';
import { parseConsumeArgs } from '../../../src/consume/cli-args.js';
import { kinesisStreamName } from '../../../src/consume/kinesis-source.js';

describe('npm run consume arguments', () => {
  it('takes a table, a stream ARN or a Kinesis stream, with the defaults', () => {
    expect(parseConsumeArgs(['--dynamodb-table', 'orders'])).toEqual({
      ok: true,
      args: {
        stream: { kind: 'dynamodb-table', table: 'orders' },
        start: { kind: 'trim-horizon' },
        reset: false,
        endpoint: undefined,
        region: undefined,
        leaseMs: 30_000,
        pollMs: 1000,
        batchSize: 1000,
      },
    });
    const arn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-07-12T00:00:00.000';
    expect(parseConsumeArgs(['--dynamodb-stream', arn, '--start', 'latest', '--reset'])).toMatchObject({
      ok: true,
      args: { stream: { kind: 'dynamodb-stream', arn }, start: { kind: 'latest' }, reset: true },
    });
    expect(parseConsumeArgs(['--kinesis-stream', 'arn:aws:kinesis:eu-west-1:123456789012:stream/cdc', '--start', '2026-12-01T07:00:00Z'])).toMatchObject({
      ok: true,
      args: { stream: { kind: 'kinesis-stream' }, start: { kind: 'at-time', time: new Date('2026-12-01T07:00:00Z') } },
    });
    expect(kinesisStreamName('arn:aws:kinesis:eu-west-1:123456789012:stream/cdc')).toBe('cdc');
    expect(kinesisStreamName('cdc')).toBe('cdc');
  });

  it('reports every problem at once', () => {
    const result = parseConsumeArgs([
      '--dynamodb-table',
      'x',
      '--kinesis-stream',
      'y',
      '--start',
      'yesterday',
      '--endpoint',
      'localhost:4566',
      '--lease-seconds',
      '1',
    ]);
    expect(result).toEqual({
      ok: false,
      problems: [
        'exactly one of --dynamodb-table, --dynamodb-stream, --kinesis-stream is required',
        '--dynamodb-table: 3 to 255 of a-z A-Z 0-9 _ . -',
        '--start: trim-horizon, latest, or an ISO-8601 time such as 2026-12-01T07:00:00Z',
        '--endpoint: expected an http:// or https:// URL',
        '--lease-seconds: expected an integer from 3 to 3600',
      ],
    });
    expect(parseConsumeArgs(['--table', 'x'])).toMatchObject({ ok: false, problems: [expect.stringContaining("Unknown option '--table'")] });
    expect(parseConsumeArgs(['--help'])).toEqual({ ok: true, help: true });
  });
});
