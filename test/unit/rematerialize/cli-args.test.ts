import { describe, expect, it } from 'vitest';
import { parseRematerializeArgs } from '../../../src/rematerialize/cli-args.js';

describe('parseRematerializeArgs', () => {
  it('takes the table, and defaults the batch size and the cursor file from it', () => {
    expect(parseRematerializeArgs(['--table', 'table_testdrive'])).toEqual({
      ok: true,
      args: { table: 'table_testdrive', batchSize: 500, statePath: 'rematerialize-state/table_testdrive.json', restart: false },
    });
    expect(parseRematerializeArgs(['--table', 't', '--batch-size', '10000', '--state', 's.json', '--restart'])).toMatchObject({
      ok: true,
      args: { batchSize: 10_000, statePath: 's.json', restart: true },
    });
  });

  it('reports every problem at once', () => {
    expect(parseRematerializeArgs(['--batch-size', '0'])).toEqual({
      ok: false,
      problems: ['--table: required, a target table name of at most 63 bytes', '--batch-size: expected an integer from 1 to 10000'],
    });
    // The default cursor file is named after the table: no path out of its folder.
    expect(parseRematerializeArgs(['--table', '../etc'])).toMatchObject({ ok: false });
    expect(parseRematerializeArgs(['--table', 't', '--segments', '2'])).toMatchObject({ ok: false, problems: [expect.stringContaining('--segments')] });
  });

  it('answers help', () => {
    expect(parseRematerializeArgs(['--help'])).toEqual({ ok: true, help: true });
  });
});
