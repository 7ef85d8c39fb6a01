import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableMismatch, type TargetRow } from '../support/consumers.js';
import { scanAll } from '../support/dynamodb-server.js';
import { initializedDataDir } from '../support/initialized-data-dir.js';
import { createStreamTable, motoSkipReason, startMoto, type MotoServer } from '../support/moto-server.js';
import { scrape, type Scrape } from '../support/prometheus.js';
import { killServices, startService, stopService, type Running } from '../support/service-process.js';

// `npm run consume` as a user runs it: a real process reading moto's DynamoDB stream into the
// embedded database on disk, killed with SIGKILL mid-way, started again, stopped with SIGTERM.
const ITEMS = 60;

describe.skipIf(motoSkipReason !== null)(`npm run consume against moto${motoSkipReason ? ` (skipped: ${motoSkipReason})` : ''}`, () => {
  let moto: MotoServer;
  const dir = mkdtempSync(join(tmpdir(), 'consume-command-'));
  const dataDir = initializedDataDir(join(dir, 'pglite'));
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    killServices();
    await moto?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const consume = (table: string) =>
    startService(
      { PGLITE_DIR: dataDir, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', LOG_LEVEL: 'info' },
      ['src/consume-main.ts', '--dynamodb-table', table, '--endpoint', moto.endpoint, '--batch-size', '2', '--poll-ms', '100', '--lease-seconds', '3'],
      90_000,
    ); // it loads three AWS SDK clients: slow to start on a busy machine
  const metrics = (running: Running): Promise<Scrape> => scrape({ request: (path) => fetch(`${running.url}${path}`) });
  const recordsRead = async (running: Running) => (await metrics(running)).sum('cdc_consumer_records_total');
  // A read that found nothing new sets the shard's iterator age to 0: it is caught up.
  const caughtUp = async (running: Running) => {
    const ages = (await metrics(running)).samples.filter((s) => s.name === 'cdc_consumer_iterator_age_seconds');
    return ages.length === 1 && ages[0]!.value === 0;
  };
  const until = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 40_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within 40 s`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('refuses bad arguments with every problem and the usage', async () => {
    const running = startService({}, ['src/consume-main.ts', '--start', 'yesterday']);
    await expect(running).rejects.toThrow(/exited with 2/);
    await expect(running).rejects.toThrow(
      /error: exactly one of --dynamodb-table, --dynamodb-stream, --kinesis-stream is required[\s\S]*error: --start: trim-horizon, latest, or an ISO-8601 time[\s\S]*usage: npm run consume/,
    );
  });

  it('serves /healthz, /readyz and /metrics; loses nothing to kill -9; SIGTERM checkpoints, releases the lease and exits 0', async () => {
    const table = 'cli-devices';
    await createStreamTable(moto.dynamodb, table, [{ name: 'id', type: 'S' }]);
    for (let i = 0; i < ITEMS; i++) {
      await moto.dynamodb.send(new PutItemCommand({ TableName: table, Item: { id: { S: `device-${i}` }, reading: { N: `${i}.125` } } }));
    }
    const first = await consume(table);
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${first.url}/readyz`)).json()).toEqual({ status: 'ready', sink: 'pglite' });
    await until('some records read', async () => (await recordsRead(first)) >= 12);
    first.child.kill('SIGKILL');
    await first.exited;

    // Started again: it waits out the dead process's lease, then resumes from its checkpoint.
    const second = await consume(table);
    await until('lease taken over', async () => (await metrics(second)).sum('cdc_consumer_leases_held') === 1);
    await until('the rest read', () => caughtUp(second));
    const readAgain = await recordsRead(second);
    expect(readAgain).toBeLessThan(ITEMS); // resumed, not started over
    expect(await stopService(second)).toBe(0);
    expect(second.logs.join('')).toContain('"msg":"stopped"');

    const db = await PGlite.create(join(dir, 'pglite'));
    try {
      const rows = (await db.query<TargetRow>(`SELECT pk, data::text AS data, deleted FROM cli_devices ORDER BY pk`)).rows;
      expect(tableMismatch(await scanAll(moto.dynamodb, table), ['id'], rows)).toBeNull();
      expect((await db.query(`SELECT * FROM cdc_stream_leases`)).rows).toEqual([]);
      const checkpoints = (await db.query<{ sequence: string }>(`SELECT sequence FROM cdc_shard_checkpoints`)).rows;
      expect(checkpoints).toHaveLength(1);
    } finally {
      await db.close();
    }
  }, 240_000);
});
