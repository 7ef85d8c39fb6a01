import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { appWith } from '../../support/app-with.js';
import { seedRecords } from '../../support/fixtures.js';
import { ACCESS_KEY, encodeRecord, firehoseBody, firehoseRequest } from '../../support/firehose.js';
import { stubSink } from '../../support/stub-sink.js';
import { firehoseAnswer, insertOf } from '../../support/firehose-answer.js';

const MiB = 1024 * 1024;

/** POSTs a raw body to /firehose with Firehose's headers. */
function rawRequest(body: string | Uint8Array, headers: Record<string, string> = {}, requestId: string = randomUUID()): Request {
  return new Request('http://sink.test/firehose', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-amz-firehose-protocol-version': '1.0',
      'x-amz-firehose-request-id': requestId,
      'x-amz-firehose-access-key': ACCESS_KEY,
      ...headers,
    },
    body,
  });
}

describe('POST /firehose: access key', () => {
  const delivery = () => firehoseBody(seedRecords());

  it('refuses a delivery without the key with 401', async () => {
    const { app } = appWith(stubSink());
    const body = delivery();
    const answer = await firehoseAnswer(await app.request(firehoseRequest(body, { accessKey: null })), 401, body.requestId);
    expect(answer.errorMessage).toMatch(/missing/);
  });

  it('refuses a wrong key, an empty key and a key that only starts right with 401', async () => {
    const { app } = appWith(stubSink());
    for (const accessKey of ['wrong', '', `${ACCESS_KEY}x`, ACCESS_KEY.slice(0, -1)]) {
      await firehoseAnswer(await app.request(firehoseRequest(delivery(), { accessKey })), 401);
    }
  });

  it('refuses every delivery with 401 when no key is configured', async () => {
    const sink = stubSink();
    const { app } = appWith(sink, { env: { ACCESS_KEY: '' } });
    for (const accessKey of [null, ACCESS_KEY, 'anything']) {
      const answer = await firehoseAnswer(await app.request(firehoseRequest(delivery(), { accessKey })), 401);
      expect(answer.errorMessage).toMatch(/no ACCESS_KEY/);
    }
    expect(sink.batches).toHaveLength(0);
  });

  it('accepts no key only when ALLOW_UNAUTHENTICATED is set and no key is configured', async () => {
    const open = appWith(stubSink(), { env: { ACCESS_KEY: '', ALLOW_UNAUTHENTICATED: 'true' } });
    await firehoseAnswer(await open.app.request(firehoseRequest(delivery(), { accessKey: null })), 200);
    // A configured key with the header missing must still be refused (GHSA-prf6-xjxh-p698).
    const keyed = appWith(stubSink(), { env: { ALLOW_UNAUTHENTICATED: 'true' } });
    await firehoseAnswer(await keyed.app.request(firehoseRequest(delivery(), { accessKey: null })), 401);
  });

  it('accepts a non-ASCII key as text and as the UTF-8 bytes Node hands over one character per byte', async () => {
    const key = 'clé-ключ-🔑';
    const { app } = appWith(stubSink(), { env: { ACCESS_KEY: key } });
    const asBytes = Buffer.from(key, 'utf8').toString('latin1');
    await firehoseAnswer(await app.request(firehoseRequest(delivery(), { accessKey: asBytes })), 200);
    const asText = appWith(stubSink(), { env: { ACCESS_KEY: 'clé' } }).app; // 'é' fits one header byte
    await firehoseAnswer(await asText.request(firehoseRequest(delivery(), { accessKey: 'clé' })), 200);
    for (const wrong of [Buffer.from('clé-ключ-🔐', 'utf8').toString('latin1'), 'cle-kljuch-key', Buffer.from(key, 'utf8').toString('latin1').slice(0, -1)]) {
      await firehoseAnswer(await app.request(firehoseRequest(delivery(), { accessKey: wrong })), 401);
    }
  });

  it('accepts both keys while a rotation overlaps (ACCESS_KEY=old,new)', async () => {
    const { app } = appWith(stubSink(), { env: { ACCESS_KEY: 'old,new' } });
    await firehoseAnswer(await app.request(firehoseRequest(delivery(), { accessKey: 'old' })), 200);
    await firehoseAnswer(await app.request(firehoseRequest(delivery(), { accessKey: 'new' })), 200);
    await firehoseAnswer(await app.request(firehoseRequest(delivery(), { accessKey: 'old,new' })), 401);
    await firehoseAnswer(await app.request(firehoseRequest(delivery(), { accessKey: ACCESS_KEY })), 401);
  });
});

describe('POST /firehose: the request', () => {
  it('accepts a gzip body (Content-Encoding: gzip)', async () => {
    const sink = stubSink();
    const { app } = appWith(sink);
    const body = firehoseBody(seedRecords());
    await firehoseAnswer(await app.request(firehoseRequest(body, { gzip: true })), 200, body.requestId);
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]!.tables.flatMap((t) => t.rows)).toHaveLength(2); // qux, and foo collapsed to its REMOVE
  });

  it('refuses an unsupported Content-Encoding with 400', async () => {
    const { app } = appWith(stubSink());
    const body = firehoseBody(seedRecords());
    const answer = await firehoseAnswer(await app.request(rawRequest(JSON.stringify(body), { 'content-encoding': 'br' }, body.requestId)), 400, body.requestId);
    expect(answer.errorMessage).toMatch(/Content-Encoding/);
  });

  it('refuses a gzip header over a body that is not gzip with 400', async () => {
    const { app } = appWith(stubSink());
    const body = firehoseBody(seedRecords());
    const answer = await firehoseAnswer(
      await app.request(rawRequest(JSON.stringify(body), { 'content-encoding': 'gzip' }, body.requestId)),
      400,
      body.requestId,
    );
    expect(answer.errorMessage).toMatch(/gzip/);
  });

  it('refuses a body that is not JSON with 400, echoing the header requestId', async () => {
    const { app } = appWith(stubSink());
    for (const text of ['', 'hello', '{"requestId": "x", "records": [', '[]', 'null']) {
      const requestId = randomUUID();
      const answer = await firehoseAnswer(await app.request(rawRequest(text, {}, requestId)), 400, requestId);
      expect(answer.errorMessage).toMatch(/JSON/);
    }
  });

  it('refuses a body without requestId or timestamp with 400', async () => {
    const { app } = appWith(stubSink());
    const { requestId, ...noId } = firehoseBody(seedRecords());
    const answer = await firehoseAnswer(await app.request(rawRequest(JSON.stringify(noId), {}, requestId)), 400, requestId);
    expect(answer.errorMessage).toMatch(/requestId/);
    const { timestamp: _, ...noTimestamp } = firehoseBody(seedRecords());
    const answer2 = await firehoseAnswer(await app.request(firehoseRequest(noTimestamp)), 400, noTimestamp.requestId);
    expect(answer2.errorMessage).toMatch(/timestamp/);
  });

  it('refuses a body requestId that differs from the header with 400', async () => {
    const sink = stubSink();
    const { app } = appWith(sink);
    const body = firehoseBody(seedRecords());
    const headerId = randomUUID();
    const answer = await firehoseAnswer(await app.request(firehoseRequest(body, { requestId: headerId })), 400, headerId);
    expect(answer.errorMessage).toMatch(/differs/);
    expect(sink.batches).toHaveLength(0);
  });

  it('takes the body requestId when the header is absent', async () => {
    const { app } = appWith(stubSink());
    const body = firehoseBody(seedRecords());
    const request = firehoseRequest(body);
    request.headers.delete('x-amz-firehose-request-id');
    await firehoseAnswer(await app.request(request), 200, body.requestId);
  });

  it('refuses records that are not an array, and a record without string data, with 400 naming it', async () => {
    const { app } = appWith(stubSink());
    const cases: [unknown, RegExp][] = [
      [{ data: 'aGVsbG8=' }, /records: missing or not an array/],
      [null, /records: missing or not an array/],
      [[{ data: encodeRecord(insertOf('a')) }, { data: 42 }], /records\[1\]/],
      [[{ data: encodeRecord(insertOf('a')) }, {}, { data: null }], /records\[1\]/],
      [['aGVsbG8='], /records\[0\]/],
    ];
    for (const [records, message] of cases) {
      const body = { requestId: randomUUID(), timestamp: Date.now(), records };
      const answer = await firehoseAnswer(await app.request(firehoseRequest(body)), 400, body.requestId);
      expect(answer.errorMessage).toMatch(message);
    }
  });

  it('answers 200 to records: [] and to records with empty data, writing nothing', async () => {
    const sink = stubSink();
    const { app } = appWith(sink);
    const none = firehoseBody([]);
    await firehoseAnswer(await app.request(firehoseRequest(none)), 200, none.requestId);
    const empty = { requestId: randomUUID(), timestamp: Date.now(), records: [{ data: '' }, { data: '' }] };
    await firehoseAnswer(await app.request(firehoseRequest(empty)), 200, empty.requestId);
    for (const batch of sink.batches) expect(batch.tables.flatMap((t) => t.rows)).toEqual([]);
  });
});

describe('POST /firehose: body size limits (never 413: Firehose drops a batch answered 413)', () => {
  const limited = (config: { maxBodyBytes?: number; maxDecompressedBytes?: number }) => appWith(stubSink(), { config });

  it('answers 400 to a body over MAX_BODY_BYTES, declared or not in Content-Length', async () => {
    const { app } = limited({ maxBodyBytes: 1024 });
    const body = firehoseBody(seedRecords());
    const text = JSON.stringify(body);
    expect(Buffer.byteLength(text)).toBeGreaterThan(1024);
    const streamed = await firehoseAnswer(await app.request(firehoseRequest(body)), 400, body.requestId);
    expect(streamed.errorMessage).toMatch(/exceeds 1024 bytes/);
    const declared = rawRequest(text, { 'content-length': String(Buffer.byteLength(text)) }, body.requestId);
    const answer = await firehoseAnswer(await app.request(declared), 400, body.requestId);
    expect(answer.errorMessage).toMatch(/exceeds 1024 bytes/);
  });

  it('answers 400 to a gzip body that inflates beyond MAX_DECOMPRESSED_BYTES', async () => {
    const { app } = limited({ maxDecompressedBytes: 4096 });
    const body = firehoseBody([...seedRecords(), ...seedRecords(), ...seedRecords(), ...seedRecords(), ...seedRecords()]);
    const answer = await firehoseAnswer(await app.request(firehoseRequest(body, { gzip: true })), 400, body.requestId);
    expect(answer.errorMessage).toMatch(/decompressed body exceeds 4096 bytes/);
  });

  it('answers 400 to a gzip bomb at the smallest limit the configuration allows (65 MiB)', async () => {
    const { app, config } = appWith(stubSink(), { env: { MAX_DECOMPRESSED_BYTES: String(65 * MiB) } });
    expect(config.maxDecompressedBytes).toBe(65 * MiB);
    const bomb = gzipSync(Buffer.alloc(65 * MiB + 1, 0x20)); // spaces: tiny once compressed
    expect(bomb.byteLength).toBeLessThan(MiB);
    const requestId = randomUUID();
    const answer = await firehoseAnswer(await app.request(rawRequest(bomb, { 'content-encoding': 'gzip' }, requestId)), 400, requestId);
    expect(answer.errorMessage).toMatch(/decompressed body exceeds/);
  });

  it('accepts a body exactly at the limit', async () => {
    const body = firehoseBody(seedRecords());
    const size = Buffer.byteLength(JSON.stringify(body));
    const { app } = limited({ maxBodyBytes: size });
    await firehoseAnswer(await app.request(firehoseRequest(body)), 200, body.requestId);
  });
});
