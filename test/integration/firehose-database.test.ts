import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkError } from '../../src/sink/sink.js';
import { appWith } from '../support/app-with.js';
import { fixture, seedRecords } from '../support/fixtures.js';
import { encodeRecord, firehoseBody, firehoseRequest } from '../support/firehose.js';
import { createHarness, type Harness } from '../support/sinks.js';
import { downSink, stubSink } from '../support/stub-sink.js';
import { firehoseAnswer, insertOf } from '../support/firehose-answer.js';

describe('POST /firehose: the database', () => {
  it('answers 503 when the database is down, naming the trouble', async () => {
    const { app } = appWith(downSink());
    const body = firehoseBody(seedRecords());
    const answer = await firehoseAnswer(await app.request(firehoseRequest(body)), 503, body.requestId);
    expect(answer.errorMessage).toMatch(/connection refused/);
  });

  it('answers 503 when the embedded database has been closed', async () => {
    const h = await createHarness('pglite');
    await h.close();
    const body = firehoseBody(seedRecords());
    await firehoseAnswer(await h.app.request(firehoseRequest(body)), 503, body.requestId);
  });

  it('answers 500 when the database refuses the write for good', async () => {
    const { app } = appWith(downSink(new SinkError('stub: permission denied for schema public', false)));
    await firehoseAnswer(await app.request(firehoseRequest(firehoseBody(seedRecords()))), 500);
  });

  it('answers 503 when the write does not finish within the delivery timeout', async () => {
    const { app } = appWith(stubSink({ write: () => new Promise(() => undefined) }), { config: { deliveryTimeoutMs: 50 } });
    const answer = await firehoseAnswer(await app.request(firehoseRequest(firehoseBody(seedRecords()))), 503);
    expect(answer.errorMessage).toMatch(/within 50 ms/);
  });

  it('cuts an errorMessage to 8192 characters', async () => {
    const { app } = appWith(downSink(new SinkError(`stub: ${'x'.repeat(20_000)}`, true)));
    const answer = await firehoseAnswer(await app.request(firehoseRequest(firehoseBody(seedRecords()))), 503);
    expect(answer.errorMessage).toHaveLength(8192);
  });
});

describe('POST /firehose: poison records on PGlite', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite');
  });
  afterAll(async () => h?.close());

  interface DeadLetterRow {
    request_id: string;
    record_index: number;
    source: string;
    payload: string;
    error: string;
  }
  // Dead letters are stored once per payload (a retried poison record is kept once): give each
  // test poison of its own.
  const poison = () => encodeRecord(`hello ${randomUUID()}`);
  const deadLetters = (requestId: string) =>
    h.query<DeadLetterRow>('SELECT request_id, record_index, source, payload, error FROM cdc_dead_letters WHERE request_id = $1 ORDER BY record_index', [
      requestId,
    ]);

  it('dead-letters AWS\'s sample request ("hello", not CDC) and answers 200', async () => {
    const sample = fixture<{ requestId: string; records: { data: string }[] }>('firehose-spec-request.json');
    await firehoseAnswer(await h.app.request(firehoseRequest(sample)), 200, sample.requestId);
    const rows = await deadLetters(sample.requestId);
    expect(rows.map((r) => [r.record_index, r.payload, r.source])).toEqual([
      [0, 'aGVsbG8=', 'firehose'],
      [1, 'aGVsbG8gd29ybGQ=', 'firehose'],
    ]);
    expect(rows[0]!.error).toMatch(/^records\[0\]\.data: /);
    expect(rows[1]!.error).toMatch(/^records\[1\]\.data: /);
  });

  it('applies the good records next to poison ones, and dead-letters each poison one by index', async () => {
    const good = [insertOf('poison-neighbour-1'), insertOf('poison-neighbour-2')];
    const notCdc = { hello: 'world', nonce: randomUUID() };
    const body = firehoseBody([good[0], poison(), notCdc, 'not base64!', '', good[1]]);
    await firehoseAnswer(await h.app.request(firehoseRequest(body, { gzip: true })), 200, body.requestId);

    const rows = await deadLetters(body.requestId);
    expect(rows.map((r) => r.record_index)).toEqual([1, 2, 3]);
    expect(rows[0]!.error).toMatch(/^records\[1\]\.data: /);
    expect(rows[1]!.error).toMatch(/^records\[2\]\.data\.dynamodb: /);
    expect(rows[1]!.payload).toBe(encodeRecord(notCdc));
    expect(rows[2]!.error).toMatch(/^records\[3\]\.data: .*base64/);

    const applied = await h.query<{ pk: string; deleted: boolean }>("SELECT pk, deleted FROM table_testdrive WHERE pk LIKE '%poison-neighbour%' ORDER BY pk");
    expect(applied).toHaveLength(2);
    expect(applied.every((r) => !r.deleted)).toBe(true);
  });

  it('answers 200 again when the same delivery with poison is retried, without doubling the dead letters', async () => {
    const body = firehoseBody([insertOf('retried'), poison()]);
    await firehoseAnswer(await h.app.request(firehoseRequest(body)), 200, body.requestId);
    await firehoseAnswer(await h.app.request(firehoseRequest(body)), 200, body.requestId);
    expect(await deadLetters(body.requestId)).toHaveLength(1);
  });
});
