import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJson } from '../support/read-json.js';
import { compiledEntry, killServices, root, startService, stopService, type Running } from '../support/service-process.js';

// The service as a user runs it: a real process, a real socket, the embedded database on disk.
const dataDir = mkdtempSync(join(tmpdir(), 'cdc-sink-'));
const example = readFileSync(join(root, 'examples/seed-delivery.json'), 'utf8');
const start = () => startService({ ACCESS_KEY: 'dev-secret', PGLITE_DIR: dataDir });
const stop = (running: Running) => stopService(running);

const postExample = (url: string) =>
  fetch(`${url}/firehose`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-amz-firehose-access-key': 'dev-secret', 'x-amz-firehose-request-id': JSON.parse(example).requestId },
    body: example,
  });

describe('the service process', () => {
  afterAll(() => {
    killServices();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('applies the README example, stops cleanly on SIGTERM, and keeps the data on disk', async () => {
    const first = await start();
    try {
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
      const response = await postExample(first.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-length')).not.toBeNull();
      expect(Object.keys(await readJson(response)).sort()).toEqual(['requestId', 'timestamp']);
    } finally {
      expect(await stop(first)).toBe(0);
    }
    expect(first.logs.join('')).not.toContain('dev-secret');

    const second = await start();
    try {
      // Replayed after the restart: every record is already there (2 duplicates; the MODIFY
      // was superseded by the REMOVE), so nothing is applied again.
      const records = JSON.parse(example).records.map((r: { data: string }) => JSON.parse(Buffer.from(r.data, 'base64').toString()));
      const replay = await fetch(`${second.url}/records`, {
        method: 'POST',
        headers: { authorization: 'Bearer dev-secret', 'content-type': 'application/json' },
        body: JSON.stringify(records),
      });
      expect(await readJson(replay)).toMatchObject({ received: 3, applied: 0, duplicate: 2, stale: 1, tables: { table_testdrive: 0 } });
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });

  it('a database down at start: one error line saying what to check, /readyz 503, and it serves; ALLOW_UNAUTHENTICATED beside a key said to be ignored', async () => {
    const down = await startService({ SINK_URL: 'postgres://postgres@127.0.0.1:1/app', ACCESS_KEY: 'dev-secret', ALLOW_UNAUTHENTICATED: 'true' });
    try {
      expect((await fetch(`${down.url}/readyz`)).status).toBe(503);
      expect((await fetch(`${down.url}/healthz`)).status).toBe(200);
      const lines = () =>
        down.logs
          .join('')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { level: number; msg: string });
      await expect.poll(() => lines().filter((l) => l.level === 50).length).toBe(1);
      expect(lines().find((l) => l.level === 50)!.msg).toMatch(/^the database cannot be reached: check that it runs, that SINK_URL names it/);
      expect(lines().some((l) => l.level === 40 && l.msg.startsWith('ALLOW_UNAUTHENTICATED is ignored: ACCESS_KEY is set'))).toBe(true);
    } finally {
      expect(await stopService(down)).toBe(0);
    }
  });

  it('a taken PORT: one line naming it, exit 1, the embedded folder released', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [compiledEntry('src/main.ts')], {
        cwd: root,
        env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SINK_URL: '', ACCESS_KEY: 'dev-secret', PGLITE_DIR: dataDir },
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise((resolve) => child.on('exit', resolve));
      expect(code).toBe(1);
      const fatal = output.split('\n').filter((line) => line.includes('"level":60'));
      expect(fatal).toHaveLength(1);
      expect(JSON.parse(fatal[0]!).msg).toBe(`PORT ${port}: 127.0.0.1:${port} is already in use; pick another PORT or stop what listens there`);
      expect(output).not.toMatch(/Unhandled 'error' event|\n\s+at /);
      expect(existsSync(join(dataDir, 'cdc-sink.lock'))).toBe(false);
    } finally {
      taken.close();
    }
  }, 120_000);

  it('refuses to start with an invalid configuration and names every problem', async () => {
    const child = spawn(process.execPath, [compiledEntry('src/main.ts')], {
      cwd: root,
      env: { ...process.env, PORT: 'x', SINK_URL: 'mysql://nope' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('SINK_URL');
  });
});
