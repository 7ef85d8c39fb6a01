import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/sink/pglite/data-dir-lock.js';
import { initializedDataDir } from '../support/initialized-data-dir.js';
import { readJson } from '../support/read-json.js';
import { compiledEntry, killServices, root, startService, stopService, type Running } from '../support/service-process.js';

// The embedded database on disk, opened by real processes: the service twice, the service and a
// backfill, a service killed and started again, two started at once, a damaged folder.
const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pglite-lock-'));
  dirs.push(dir);
  return join(dir, 'pglite');
};
const service = (dir: string) => startService({ ACCESS_KEY: 'dev-secret', PGLITE_DIR: dir });
const example = readFileSync(join(root, 'examples/seed-delivery.json'), 'utf8');
const deliver = (running: Running) =>
  fetch(`${running.url}/firehose`, { method: 'POST', headers: { 'x-amz-firehose-access-key': 'dev-secret' }, body: example });
const replay = async (running: Running) => {
  const records = JSON.parse(example).records.map((r: { data: string }) => JSON.parse(Buffer.from(r.data, 'base64').toString()));
  const response = await fetch(`${running.url}/records`, { method: 'POST', headers: { authorization: 'Bearer dev-secret' }, body: JSON.stringify(records) });
  return readJson(response);
};

/** A refused start: the exit code and everything it printed (the service never listened). */
async function refusedStart(dir: string): Promise<{ code: number; output: string }> {
  const error = await service(dir).then(
    (running) => {
      void stopService(running);
      throw new Error(`a second service started on ${dir}`);
    },
    (e: Error) => e,
  );
  const match = /^service exited with (\d+): ([\s\S]*)$/.exec(error.message);
  if (!match) throw error;
  return { code: Number(match[1]), output: match[2]! };
}

function backfill(dir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [compiledEntry('src/backfill-main.ts'), '--table', 'orders', '--endpoint', 'http://127.0.0.1:9', '--state', join(dir, '..', 'state.json')],
    {
      cwd: root,
      env: { ...process.env, SINK_URL: '', PGLITE_DIR: dir, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

/** No minified PGlite source, no bare WebAssembly abort, no stack: one line that says what to do. */
const oneClearLine = (output: string) => {
  const lines = output.trim().split('\n');
  expect(lines, output).toHaveLength(1);
  expect(output).not.toMatch(/chunk-|\n\s+at |^RuntimeError/m);
  return lines[0]!;
};

describe('PGLITE_DIR is opened by one process at a time', () => {
  afterAll(() => {
    killServices();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  // One folder through its life, initialized beforehand: this is not about a first start.
  it('refuses a second service and a backfill while a service holds the folder, takes over after a SIGKILL, and refuses the folder once damaged', async () => {
    const dir = initializedDataDir(freshDir());
    const first = await service(dir);
    try {
      expect((await deliver(first)).status).toBe(200);
      const second = await refusedStart(dir);
      expect(second.code).toBe(1);
      const line = JSON.parse(oneClearLine(second.output)) as { level: number; code: string; msg: string };
      expect(line).toMatchObject({ level: 60, code: 'PGLITE_DIR_IN_USE' });
      expect(line.msg).toContain(`PGLITE_DIR ${dir} is in use by process ${first.child.pid} on this machine`);
      const filling = await backfill(dir);
      expect(filling.code).toBe(1);
      expect(oneClearLine(filling.stderr)).toMatch(new RegExp(`^error: PGLITE_DIR ${dir} is in use by process ${first.child.pid} `));
      // The holder was never disturbed.
      expect(await replay(first)).toMatchObject({ received: 3, applied: 0 });
    } finally {
      await stopService(first, 'SIGKILL');
    }
    // A killed holder leaves its lock behind; the next start takes it over, and finds the data.
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    const next = await service(dir);
    try {
      expect(await replay(next)).toMatchObject({ received: 3, applied: 0, duplicate: 2, stale: 1 });
    } finally {
      expect(await stopService(next)).toBe(0);
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    truncateSync(join(dir, 'global', 'pg_control'), 100);
    const damaged = await refusedStart(dir);
    expect(damaged.code).toBe(1);
    const refusal = JSON.parse(oneClearLine(damaged.output)) as { code: string; msg: string };
    expect(refusal.code).toBe('PGLITE_DIR_UNOPENABLE');
    expect(refusal.msg).toMatch(new RegExp(`^cannot open the embedded database in PGLITE_DIR ${dir} \\(PGlite: .*\\): the folder is damaged .* Move it aside`));
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 480_000);

  it('lets exactly one of two services started at once on a fresh folder serve, and leaves the folder usable', async () => {
    const dir = freshDir();
    const outcomes = await Promise.allSettled([service(dir), service(dir)]);
    const served = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [String((o.reason as Error).message)] : []));
    expect(served).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatch(new RegExp(`^service exited with 1: .*is in use by process ${served[0]!.child.pid} `, 's'));
    try {
      expect((await deliver(served[0]!)).status).toBe(200);
    } finally {
      expect(await stopService(served[0]!)).toBe(0);
    }
    const after = await service(dir);
    try {
      expect(await replay(after)).toMatchObject({ received: 3, applied: 0 });
    } finally {
      expect(await stopService(after)).toBe(0);
    }
  }, 480_000);
});
