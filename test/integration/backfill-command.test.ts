import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanState } from '../../src/backfill/scan-state.js';
import { createTable, putItems, startDynamoServer, type DynamoServer } from '../support/dynamodb-server.js';
import { initializedDataDir } from '../support/initialized-data-dir.js';
import { compiledEntry, root } from '../support/service-process.js';

// `npm run backfill` as a user runs it: a real process against a DynamoDB-compatible endpoint,
// interrupted with Ctrl-C and resumed, writing into the embedded database on disk.
const ITEMS = 3000;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function backfillCommand(args: string[], env: Record<string, string>, onStart?: (kill: () => void) => void): Promise<Finished> {
  const child = spawn(process.execPath, [compiledEntry('src/backfill-main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, SINK_URL: '', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  onStart?.(() => child.kill('SIGINT'));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run backfill', () => {
  let dynamo: DynamoServer;
  const dir = mkdtempSync(join(tmpdir(), 'backfill-command-'));
  const dataDir = initializedDataDir(join(dir, 'pglite'));
  const statePath = join(dir, 'state.json');
  beforeAll(async () => {
    dynamo = await startDynamoServer();
    await createTable(dynamo.client, 'cli-orders', [{ name: 'order', type: 'N' }]);
    await putItems(
      dynamo.client,
      'cli-orders',
      Array.from({ length: ITEMS }, (_, i) => ({ order: { N: String(i) }, total: { N: '12345678901234567890.123456789' }, note: { S: `ordre n° ${i}` } })),
    );
  });
  afterAll(async () => {
    await dynamo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad arguments with every problem and the usage', async () => {
    const result = await backfillCommand(['--segments', 'many'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: --table: required');
    expect(result.stderr).toContain('error: --segments: expected an integer');
    expect(result.stderr).toContain('usage: npm run backfill -- --table <name>');
  });

  it('copies the table, stops cleanly on Ctrl-C, and resumes where it stopped', async () => {
    const args = ['--table', 'cli-orders', '--endpoint', dynamo.endpoint, '--segments', '3', '--page-size', '25', '--state', statePath];
    const env = { PGLITE_DIR: dataDir };
    const scannedSoFar = () =>
      existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as ScanState).segments.reduce((n, s) => n + s.scanned, 0) : 0;

    const interrupted = await backfillCommand(args, env, (interrupt) => {
      const poll = setInterval(() => {
        try {
          if (scannedSoFar() < 300) return;
        } catch {
          return; // the file is being replaced
        }
        clearInterval(poll);
        interrupt();
      }, 10);
    });
    expect(interrupted.code, interrupted.stderr).toBe(130);
    expect(interrupted.stderr).toContain('interrupted: finishing the pages in flight and saving the cursors');
    expect(interrupted.stdout).toContain('backfill of cli-orders stopped before the end (run the same command again to resume)');
    const savedAfterInterrupt = scannedSoFar();
    expect(savedAfterInterrupt).toBeGreaterThanOrEqual(300);
    expect(savedAfterInterrupt).toBeLessThan(ITEMS);

    const resumed = await backfillCommand(args, env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('backfill of cli-orders complete (resumed)');
    expect(resumed.stdout).toContain(
      `items scanned: ${(ITEMS - savedAfterInterrupt).toLocaleString('en-US')} now, ${ITEMS.toLocaleString('en-US')} in this run`,
    );
    expect(resumed.stdout).toContain('duplicate 0');
    expect(resumed.stderr).toMatch(/\[#{24}\] 3,000 .*items\/s {2}done {2}segments 3\/3/);
    const version = /version (-\d+)/.exec(resumed.stdout)?.[1];

    const again = await backfillCommand(args, env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('items scanned: 0 now, 3,000 in this run');

    const db = await PGlite.create(dataDir);
    try {
      const { rows } = await db.query<{ rows: number; keys: number; live: number; versions: string; total: string }>(
        `SELECT count(*)::int AS rows, count(DISTINCT pk)::int AS keys, count(*) FILTER (WHERE NOT deleted)::int AS live,
           string_agg(DISTINCT version::text, ',') AS versions, min(data->>'total') AS total FROM cli_orders`,
      );
      expect(rows[0]).toEqual({ rows: ITEMS, keys: ITEMS, live: ITEMS, versions: version, total: '12345678901234567890.123456789' });
    } finally {
      await db.close();
    }
  });
});
