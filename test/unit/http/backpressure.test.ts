import { afterEach, describe, expect, it } from 'vitest';
import type { ServerType } from '@hono/node-server';
import type { WriteBatch } from '../../../src/translate/write-batch.js';
import { appWith } from '../../support/app-with.js';
import { seedRecords } from '../../support/fixtures.js';
import { ACCESS_KEY, firehoseBody } from '../../support/firehose.js';
import { close, listen, until } from '../../support/listen.js';
import { scrape } from '../../support/prometheus.js';
import { stubSink } from '../../support/stub-sink.js';

const N = 3;

/** A database whose writes wait until released: deliveries stay in flight as long as a test wants. */
function slowSink() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const inner = stubSink();
  const sink = stubSink({
    write: async (batch: WriteBatch) => {
      await released;
      return inner.write(batch);
    },
  });
  return { sink, written: inner.batches, release };
}

describe('backpressure over a real socket', () => {
  let server: ServerType | undefined;
  afterEach(async () => close(server));

  async function start() {
    const slow = slowSink();
    const { app } = appWith(slow.sink, { env: { MAX_CONCURRENT_DELIVERIES: String(N) } });
    const started = await listen(app);
    server = started.server;
    const post = async (path: string, body: string | Uint8Array, headers: Record<string, string> = {}) => {
      const response = await fetch(`http://127.0.0.1:${started.port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-amz-firehose-access-key': ACCESS_KEY, ...headers },
        body,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const firehose = (body: { requestId: string }) => post('/firehose', JSON.stringify(body), { 'x-amz-firehose-request-id': body.requestId });
    return { app, ...slow, post, firehose };
  }

  it(`answers delivery ${N + 1} with 503 at once while ${N} are in flight, and completes the ${N}`, async () => {
    const s = await start();
    const bodies = Array.from({ length: N }, () => firehoseBody(seedRecords()));
    const pending = bodies.map((b) => s.firehose(b));
    await until(() => s.app.gate.inFlight === N, 10_000, `${N} deliveries in flight`);

    const extra = firehoseBody(seedRecords());
    const t0 = performance.now();
    const refused = await s.firehose(extra);
    const elapsed = performance.now() - t0;
    expect(refused.status).toBe(503);
    expect(refused.body).toEqual({
      requestId: extra.requestId,
      timestamp: expect.any(Number),
      errorMessage: `${N} deliveries are already in flight; retry later`,
    });
    // The held deliveries never end until released: a refusal that waited for them would never come.
    expect(elapsed).toBeLessThan(20_000);
    // The same for POST /records.
    const records = await s.post('/records', JSON.stringify(seedRecords()));
    expect(records.status).toBe(503);
    expect(s.app.gate.inFlight).toBe(N);

    s.release();
    const answers = await Promise.all(pending);
    expect(answers.map((a) => a.status)).toEqual(Array(N).fill(200));
    expect(answers.map((a) => a.body.requestId)).toEqual(bodies.map((b) => b.requestId));
    // The refused delivery was never written; Firehose retries it, and then it is.
    expect(s.written.map((b) => b.requestId).sort()).toEqual(bodies.map((b) => b.requestId).sort());
    await until(() => s.app.gate.inFlight === 0);
    expect((await s.firehose(extra)).status).toBe(200);

    const m = await scrape(s.app);
    expect(m.value('cdc_deliveries_rejected_total', { endpoint: 'firehose', reason: 'overloaded' })).toBe(1);
    expect(m.value('cdc_deliveries_rejected_total', { endpoint: 'records', reason: 'overloaded' })).toBe(1);
    expect(m.value('cdc_deliveries_total', { endpoint: 'firehose', status: '503' })).toBe(1);
    expect(m.value('cdc_deliveries_total', { endpoint: 'firehose', status: '200' })).toBe(N + 1);
    expect(m.value('cdc_deliveries_in_flight')).toBe(0);
  });

  it('refuses a large delivery beyond the bound without reading its body', async () => {
    const s = await start();
    const pending = Array.from({ length: N }, () => s.firehose(firehoseBody(seedRecords())));
    await until(() => s.app.gate.inFlight === N);
    const big = Buffer.alloc(32 * 1024 * 1024, 0x20); // 32 MiB of JSON whitespace
    const t0 = performance.now();
    const refused = await s.post('/firehose', big, { 'x-amz-firehose-request-id': 'big-one' });
    expect(refused.status).toBe(503);
    expect(refused.body.requestId).toBe('big-one');
    expect(performance.now() - t0).toBeLessThan(20_000);
    // Only the bodies of the deliveries in flight were read.
    expect((await scrape(s.app)).value('cdc_delivery_size_bytes_count', { endpoint: 'firehose' })).toBe(N);
    s.release();
    expect((await Promise.all(pending)).map((a) => a.status)).toEqual(Array(N).fill(200));
  });
});

describe('while draining', () => {
  it('refuses new deliveries with 503 (Firehose retries them elsewhere or later) and counts them', async () => {
    const { app } = appWith(stubSink());
    await expect(app.gate.drain(1000)).resolves.toBe(true);
    const body = firehoseBody(seedRecords());
    const response = await app.request(
      new Request('http://sink.test/firehose', {
        method: 'POST',
        headers: { 'x-amz-firehose-access-key': ACCESS_KEY, 'x-amz-firehose-request-id': body.requestId },
        body: JSON.stringify(body),
      }),
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      requestId: body.requestId,
      timestamp: expect.any(Number),
      errorMessage: 'the service is shutting down; retry later',
    });
    const status = (await (await app.request('/status')).json()) as { state: string };
    expect(status.state).toBe('STOPPING');
    const m = await scrape(app);
    expect(m.value('cdc_deliveries_rejected_total', { endpoint: 'firehose', reason: 'shutting_down' })).toBe(1);
    expect(m.value('cdc_deliveries_rejected_total', { endpoint: 'firehose', reason: 'overloaded' })).toBe(0);
  });
});
