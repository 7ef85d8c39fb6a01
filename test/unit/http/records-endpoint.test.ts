import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { appWith } from '../../support/app-with.js';
import { ACCESS_KEY } from '../../support/firehose.js';
import { downSink, stubSink } from '../../support/stub-sink.js';
import { kinesis, post, report } from '../../support/records-report.js';

async function refusal(response: Response, status: number): Promise<{ requestId: string; error: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { requestId: string; error: string };
  expect(Object.keys(body).sort()).toEqual(['error', 'requestId']);
  expect(body.error.length).toBeGreaterThan(0);
  return body;
}

describe('POST /records: refusals', () => {
  const records = JSON.stringify([kinesis('seed-insert', 'x')]);

  it('refuses a missing, wrong or malformed key with 401', async () => {
    const sink = stubSink();
    const { app } = appWith(sink);
    const headerSets: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${Buffer.from(`user:${ACCESS_KEY}`).toString('base64')}` },
      { authorization: ACCESS_KEY },
      { 'x-amz-firehose-access-key': 'wrong' },
      // The Firehose header wins over Authorization when both are sent.
      { 'x-amz-firehose-access-key': 'wrong', authorization: `Bearer ${ACCESS_KEY}` },
    ];
    for (const headers of headerSets) {
      const body = await refusal(await app.request(post(records, { 'x-request-id': 'r-401', ...headers })), 401);
      expect(body.requestId).toBe('r-401');
    }
    expect(sink.batches).toHaveLength(0);
  });

  it('accepts the key as Bearer (any case) or as X-Amz-Firehose-Access-Key, and rotated keys', async () => {
    const { app } = appWith(stubSink(), { env: { ACCESS_KEY: 'old,new' } });
    const headerSets: Record<string, string>[] = [{ authorization: 'Bearer old' }, { authorization: 'bearer new' }, { 'x-amz-firehose-access-key': 'new' }];
    for (const headers of headerSets) {
      expect(await report(await app.request(post(records, headers)))).toMatchObject({ received: 1, applied: 1 });
    }
  });

  it('refuses a body that is no record container with 400', async () => {
    const { app } = appWith(stubSink());
    for (const text of ['hello', '42', '"text"', 'null', '{"Records": 5}', '']) {
      const body = await refusal(await app.request(post(text)), 400);
      expect(body.error).toMatch(/JSON|Records|NDJSON/);
    }
  });

  it('refuses a body that is not valid UTF-8 with 400, rather than rewriting its bytes to U+FFFD', async () => {
    const sink = stubSink();
    const { app } = appWith(sink);
    const record = JSON.stringify(kinesis('seed-insert', 'utf8'));
    const at = Buffer.byteLength(record.slice(0, record.indexOf('"utf8"') + 1));
    const bytes = Buffer.from(record);
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80] /* a lone surrogate */, [0xc0, 0xaf] /* overlong "/" */]) {
      const body = Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)]);
      for (const sent of [body, gzipSync(body)]) {
        const headers = { authorization: `Bearer ${ACCESS_KEY}`, ...(sent === body ? {} : { 'content-encoding': 'gzip' }) };
        expect((await refusal(await app.request(post(sent, headers)), 400)).error).toBe(
          'body is not valid UTF-8: nothing was written (send the records as UTF-8)',
        );
      }
    }
    expect(sink.batches).toHaveLength(0);
    expect(await report(await app.request(post(bytes)))).toMatchObject({ received: 1, applied: 1 });
  });

  it('refuses a body over MAX_BODY_BYTES with 413 (this endpoint is not Firehose’s)', async () => {
    const { app } = appWith(stubSink(), { config: { maxBodyBytes: 64 } });
    const body = await refusal(await app.request(post(records)), 413);
    expect(body.error).toMatch(/exceeds 64 bytes/);
  });

  it('answers 503 when the database is down', async () => {
    const { app } = appWith(downSink());
    const body = await refusal(await app.request(post(records)), 503);
    expect(body.error).toMatch(/connection refused/);
  });
});
