import { gzipSync } from 'node:zlib';
import type { ServerType } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { appWith } from '../../support/app-with.js';
import { seedRecords } from '../../support/fixtures.js';
import { ACCESS_KEY, firehoseBody } from '../../support/firehose.js';
import { close, listen, until } from '../../support/listen.js';
import { scrape } from '../../support/prometheus.js';
import { rawPost } from '../../support/raw-post.js';
import { stubSink } from '../../support/stub-sink.js';

const MiB = 1024 * 1024;

const firehoseHeaders = (requestId: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'x-amz-firehose-request-id': requestId,
  'x-amz-firehose-access-key': ACCESS_KEY,
  ...extra,
});

/** The highest resident set size seen while `work` runs. */
async function peakRss<T>(work: Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  try {
    const result = await work;
    return { result, peak: Math.max(peak, process.memoryUsage().rss) };
  } finally {
    clearInterval(sampler);
  }
}

describe('limits over a real socket', () => {
  let server: ServerType | undefined;
  afterEach(async () => close(server));

  it('answers a 4 GiB gzip bomb with 400 (not 413), in bounded memory, and stays up', async () => {
    // Gzip members may be concatenated: 256 members of 16 MiB of zeros inflate to 4 GiB from ~4 MiB.
    const member = gzipSync(Buffer.alloc(16 * MiB));
    const parts = Array<Buffer>(256).fill(member);
    expect(member.byteLength * 256).toBeLessThan(5 * MiB);
    const { app } = appWith(stubSink(), { env: { MAX_DECOMPRESSED_BYTES: String(65 * MiB) } });
    const started = await listen(app);
    server = started.server;
    global.gc?.();
    const before = process.memoryUsage().rss;
    const { result, peak } = await peakRss(rawPost(started.port, '/firehose', parts, firehoseHeaders('bomb', { 'content-encoding': 'gzip' })));
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ requestId: 'bomb', timestamp: expect.any(Number), errorMessage: `decompressed body exceeds ${65 * MiB} bytes` });
    // At most the decompression limit (65 MiB) and the compressed body, with room for the runtime; never 4 GiB.
    expect(peak - before).toBeLessThan(400 * MiB);
    const next = firehoseBody(seedRecords());
    const after = await rawPost(started.port, '/firehose', [Buffer.from(JSON.stringify(next))], firehoseHeaders(next.requestId));
    expect(after.status).toBe(200);
  });

  it('answers a body over MAX_BODY_BYTES with 400 (not 413) before reading it all', async () => {
    const { app } = appWith(stubSink(), { env: { MAX_BODY_BYTES: String(65 * MiB) } });
    const started = await listen(app);
    server = started.server;
    // 80 MiB sent in 1 MiB parts, without Content-Length (chunked): the limit is counted as it comes.
    const parts = Array<Buffer>(80).fill(Buffer.alloc(MiB, 0x20));
    const before = process.memoryUsage().rss;
    const { result, peak } = await peakRss(rawPost(started.port, '/firehose', parts, firehoseHeaders('too-big')));
    expect(result.status).toBe(400);
    expect(result.body.errorMessage).toBe(`body exceeds ${65 * MiB} bytes`);
    expect(peak - before).toBeLessThan(300 * MiB);
    // Declared too large: refused from the header, before any of the body.
    const declared = await rawPost(started.port, '/firehose', [], firehoseHeaders('declared', { 'content-length': String(100 * MiB) }), true);
    expect(declared.status).toBe(400);
    expect(declared.ms).toBeLessThan(20_000);
  });

  it('answers 503 to a body still trickling in at the delivery deadline, and frees its slot', async () => {
    const { app } = appWith(stubSink(), { config: { deliveryTimeoutMs: 400 } });
    const started = await listen(app);
    server = started.server;
    const text = Buffer.from(JSON.stringify({ ...firehoseBody(seedRecords()), requestId: 'slow-body' }));
    // Half the body, then the client stalls.
    const answer = await rawPost(started.port, '/firehose', [text.subarray(0, text.length >> 1)], firehoseHeaders('slow-body'), true);
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({
      requestId: 'slow-body',
      timestamp: expect.any(Number),
      errorMessage: 'delivery not written within 400 ms; it is safe to retry',
    });
    expect(answer.ms).toBeGreaterThanOrEqual(350);
    expect(answer.ms).toBeLessThan(20_000);
    await until(() => app.gate.inFlight === 0);
    const m = await scrape(app);
    expect(m.value('cdc_deliveries_total', { endpoint: 'firehose', status: '503' })).toBe(1);
    expect(m.value('cdc_sink_write_duration_seconds_count')).toBe(0);
  });

  it('answers 503 to /records whose body trickles past the deadline too', async () => {
    const { app } = appWith(stubSink(), { config: { deliveryTimeoutMs: 300 } });
    const started = await listen(app);
    server = started.server;
    const answer = await rawPost(
      started.port,
      '/records',
      [Buffer.from('[{"eventID":')],
      { authorization: `Bearer ${ACCESS_KEY}`, 'x-request-id': 'r-slow' },
      true,
    );
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ requestId: 'r-slow', error: 'delivery not written within 300 ms; it is safe to retry' });
  });
});
