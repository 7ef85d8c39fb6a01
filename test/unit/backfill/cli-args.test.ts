import { describe, expect, it } from 'vitest';
import { parseBackfillArgs } from '../../../src/backfill/cli-args.js';

describe('parseBackfillArgs', () => {
  it('takes the documented options, with defaults', () => {
    expect(parseBackfillArgs(['--table', 'table-testdrive'])).toEqual({
      ok: true,
      args: {
        table: 'table-testdrive',
        segments: 4,
        endpoint: undefined,
        region: undefined,
        statePath: 'backfill-state/table-testdrive.json',
        pageSize: undefined,
        restart: false,
        prune: false,
      },
    });
    expect(
      parseBackfillArgs([
        '--table',
        'Orders.2024',
        '--segments',
        '16',
        '--endpoint',
        'http://localhost:8000',
        '--region',
        'eu-west-1',
        '--state',
        '/tmp/s.json',
        '--page-size',
        '100',
        '--restart',
        '--prune',
      ]),
    ).toEqual({
      ok: true,
      args: {
        table: 'Orders.2024',
        segments: 16,
        endpoint: 'http://localhost:8000',
        region: 'eu-west-1',
        statePath: '/tmp/s.json',
        pageSize: 100,
        restart: true,
        prune: true,
      },
    });
    expect(parseBackfillArgs(['--help'])).toEqual({ ok: true, help: true });
  });

  it('reports every problem at once', () => {
    expect(parseBackfillArgs(['--segments', '0', '--page-size', 'x', '--endpoint', 'localhost:8000'])).toEqual({
      ok: false,
      problems: [
        '--table: required, 3 to 255 of a-z A-Z 0-9 _ . -',
        '--segments: expected an integer from 1 to 1000000',
        '--page-size: expected an integer from 1 to 1000000',
        '--endpoint: expected an http:// or https:// URL',
      ],
    });
  });

  it('refuses unknown options', () => {
    const result = parseBackfillArgs(['--table', 'abc', '--segmnets', '2']);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(/--segmnets/);
  });
});
