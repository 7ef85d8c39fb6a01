import { gzipSync } from 'node:zlib';
import type { ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWith } from '../support/app-with.js';
import { seedRecords } from '../support/fixtures.js';
import { ACCESS_KEY, firehoseBody } from '../support/firehose.js';
import { close, listen } from '../support/listen.js';
import { createHarness, type Harness } from '../support/sinks.js';
import { stubSink } from '../support/stub-sink.js';

/** Over a real socket, what Firehose checks (CONTEXT.md §1): JSON, a Content-Length, no Content-Encoding. */
describe('POST /firehose over a real socket', () => {
  let h: Harness;
  let server: ServerType;
  let base: string;

  beforeAll(async () => {
    h = await createHarness('pglite');
    const started = await listen(h.app);
    server = started.server;
    base = `http://127.0.0.1:${started.port}`;
  });
  afterAll(async () => {
    await close(server);
    await h?.close();
  });

  async function deliver(body: unknown, options: { accessKey?: string; gzip?: boolean; requestId?: string } = {}) {
    const json = Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amz-firehose-protocol-version': '1.0',
      'x-amz-firehose-request-id': options.requestId ?? (body as { requestId: string }).requestId,
      'x-amz-firehose-access-key': options.accessKey ?? ACCESS_KEY,
      'user-agent': 'Amazon Kinesis Data Firehose Agent/1.0',
      // Firehose accepts no compressed answer; ask for one to be sure none comes.
      'accept-encoding': 'gzip, deflate, br',
    };
    if (options.gzip) headers['content-encoding'] = 'gzip';
    const response = await fetch(`${base}/firehose`, { method: 'POST', headers, body: options.gzip ? gzipSync(json) : json });
    const text = await response.text();
    return { response, text, body: JSON.parse(text) as Record<string, unknown> };
  }

  function expectFirehoseAnswer({ response, text, body }: Awaited<ReturnType<typeof deliver>>, status: number, requestId: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(response.headers.get('transfer-encoding')).toBeNull();
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(Object.keys(body).sort()).toEqual(status === 200 ? ['requestId', 'timestamp'] : ['errorMessage', 'requestId', 'timestamp']);
    expect(body.requestId).toBe(requestId);
    expect(Number.isInteger(body.timestamp)).toBe(true);
  }

  it('answers a delivery with 200 and exactly {requestId, timestamp}', async () => {
    const body = firehoseBody(seedRecords());
    expectFirehoseAnswer(await deliver(body), 200, body.requestId);
  });

  it('answers a gzip delivery with 200, uncompressed', async () => {
    const body = firehoseBody(seedRecords());
    expectFirehoseAnswer(await deliver(body, { gzip: true }), 200, body.requestId);
  });

  it('answers a wrong key with 401 and an errorMessage', async () => {
    const body = firehoseBody(seedRecords());
    expectFirehoseAnswer(await deliver(body, { accessKey: 'wrong' }), 401, body.requestId);
  });

  it('answers a requestId mismatch with 400 and the header requestId', async () => {
    const body = firehoseBody(seedRecords());
    expectFirehoseAnswer(await deliver(body, { requestId: 'header-id' }), 400, 'header-id');
  });

  it('answers 400, not 413, to a streamed body over MAX_BODY_BYTES', async () => {
    const { server: small, port } = await listen(appWith(stubSink(), { config: { maxBodyBytes: 1024 } }).app);
    try {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 32; i++) controller.enqueue(chunk);
          controller.close();
        },
      });
      const headers = { 'x-amz-firehose-request-id': 'big', 'x-amz-firehose-access-key': ACCESS_KEY, 'content-type': 'application/json' };
      const response = await fetch(`http://127.0.0.1:${port}/firehose`, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
      const text = await response.text();
      expectFirehoseAnswer({ response, text, body: JSON.parse(text) as Record<string, unknown> }, 400, 'big');
    } finally {
      await close(small);
    }
  });
});
