import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ACCESS_KEY, firehoseBody } from '../support/firehose.js';
import { initializedDataDir } from '../support/initialized-data-dir.js';
import { until } from '../support/listen.js';
import { parseScrape } from '../support/prometheus.js';
import { openPost, type RawAnswer } from '../support/raw-post.js';
import { kinesisRecord } from '../support/records.js';
import { killServices, startService, stopService, type Running } from '../support/service-process.js';

// Shutdown of the real process (SIGTERM/SIGINT) while a delivery is in flight: it completes with
// 200, or it is not answered 200; either way, after Firehose's retry nothing is lost.
const dirs: string[] = [];
afterAll(() => {
  killServices();
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

function service(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cdc-shutdown-'));
  dirs.push(dir);
  const dataDir = initializedDataDir(join(dir, 'pglite'));
  return () => startService({ ACCESS_KEY, PGLITE_DIR: dataDir, ...env });
}

/** `n` INSERTs of items of their own into table `shutdown-items`. */
function delivery(n: number, tag: string) {
  const micros = Date.now() * 1000;
  return firehoseBody(Array.from({ length: n }, (_, i) => kinesisRecord({ table: 'shutdown-items', id: `${tag}-${i}`, micros: micros + i })));
}

const headers = (requestId: string) => ({
  'content-type': 'application/json',
  'x-amz-firehose-access-key': ACCESS_KEY,
  'x-amz-firehose-request-id': requestId,
});

async function inFlight(running: Running): Promise<number> {
  const m = parseScrape(await (await fetch(`${running.url}/metrics`)).text());
  return m.value('cdc_deliveries_in_flight') ?? 0;
}

/** Replays the records by hand: how many were already there (duplicate) tells what was kept. */
async function countKept(running: Running, body: ReturnType<typeof delivery>): Promise<Record<string, unknown>> {
  const records = body.records.map((r) => JSON.parse(Buffer.from(r.data, 'base64').toString()) as unknown);
  const response = await fetch(`${running.url}/records`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ACCESS_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(records),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function deliverWhole(running: Running, body: ReturnType<typeof delivery>): Promise<number> {
  const response = await fetch(`${running.url}/firehose`, { method: 'POST', headers: headers(body.requestId), body: JSON.stringify(body) });
  return response.status;
}

describe('graceful shutdown of the service process', () => {
  it('lets a delivery in flight at SIGTERM finish with 200, refuses new connections, and exits 0', async () => {
    const start = service();
    const running = await start();
    const body = delivery(20, 'finish');
    const text = Buffer.from(JSON.stringify(body));
    const post = openPost(running.port, '/firehose', { ...headers(body.requestId), 'content-length': String(text.length) });
    await post.write(text.subarray(0, 100));
    await until(async () => (await inFlight(running)) === 1, 10_000, 'the delivery in flight');

    running.child.kill('SIGTERM');
    await until(() => running.logs.join('').includes('shutting down'), 10_000, 'the shutdown log line');
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow(); // no new connections
    await post.write(text.subarray(100));
    post.end();
    const answer = (await post.answer) as RawAnswer;
    expect(answer.status).toBe(200);
    expect(answer.body.requestId).toBe(body.requestId);
    expect(await running.exited).toBe(0);

    const again = await start();
    try {
      expect(await countKept(again, body)).toMatchObject({ received: 20, applied: 0, duplicate: 20 });
    } finally {
      expect(await stopService(again, 'SIGINT')).toBe(0);
    }
  });

  it('cuts off a delivery still in flight at SHUTDOWN_TIMEOUT_SECONDS with 503, exits 0, and the retry loses nothing', async () => {
    const start = service({ SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const running = await start();
    const body = delivery(20, 'cut');
    const text = Buffer.from(JSON.stringify(body));
    const post = openPost(running.port, '/firehose', { ...headers(body.requestId), 'content-length': String(text.length) });
    await post.write(text.subarray(0, 100)); // and the rest never comes
    await until(async () => (await inFlight(running)) === 1, 10_000, 'the delivery in flight');

    const signalled = Date.now();
    running.child.kill('SIGTERM');
    const answer = await post.answer;
    expect(answer).toMatchObject({ status: 503, body: { requestId: body.requestId, errorMessage: expect.stringMatching(/shutting down/) } });
    expect(await running.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);

    const again = await start();
    try {
      expect(await countKept(again, body)).toMatchObject({ received: 20, applied: 20 }); // nothing was written
      expect(await deliverWhole(again, body)).toBe(200); // Firehose's retry
      expect(await countKept(again, body)).toMatchObject({ received: 20, applied: 0, duplicate: 20 });
    } finally {
      expect(await stopService(again)).toBe(0);
    }
  });

  it('SIGTERM during a large write: answered 200 or not at all as 200, and after the retry every record is there', async () => {
    const start = service({ SHUTDOWN_TIMEOUT_SECONDS: '1', LOG_LEVEL: 'debug' });
    const running = await start();
    const body = delivery(5000, 'large');
    let settled = false;
    const answer = fetch(`${running.url}/firehose`, { method: 'POST', headers: headers(body.requestId), body: JSON.stringify(body) })
      .then(
        (r) => r.status,
        () => 'no answer',
      )
      .finally(() => (settled = true));
    // The embedded database runs in the service's own thread, so the service cannot be asked while
    // it writes: its log says when the body is read and the write begins.
    await until(() => settled || running.logs.join('').includes('"msg":"delivery received"'), 20_000, 'the delivery read');
    expect(settled).toBe(false);
    running.child.kill('SIGTERM');
    const status = await answer;
    expect([200, 503, 'no answer']).toContain(status);
    expect(await running.exited).toBe(0);

    const again = await start();
    try {
      if (status !== 200) expect(await deliverWhole(again, body)).toBe(200);
      expect(await countKept(again, body)).toMatchObject({ received: 5000, applied: 0, duplicate: 5000, deadLettered: 0 });
    } finally {
      expect(await stopService(again)).toBe(0);
    }
  });

  it('exits 0 on SIGTERM even when nothing reads its logs any more', async () => {
    const running = await service()();
    running.child.stdout.destroy(); // the reader of its stdout is gone
    await fetch(`${running.url}/healthz`); // something to log… or not
    const code = await Promise.race([stopService(running), new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    expect(code).toBe(0);
  });
});
