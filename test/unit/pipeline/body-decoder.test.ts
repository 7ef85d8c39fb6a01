import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import { loadConfig, workersForCores } from '../../../src/config/config.js';
import { decodeFirehoseBody } from '../../../src/decode/firehose-body.js';
import { bodyDecoder } from '../../../src/pipeline/body-decoder.js';
import { nowBounds } from '../../support/change-bounds.js';
import { fixture, seedRecords } from '../../support/fixtures.js';
import { ACCESS_KEY, firehoseBody, firehoseRequest } from '../../support/firehose.js';
import { stubSink } from '../../support/stub-sink.js';

const bodyOf = (records: readonly unknown[]) => Buffer.from(JSON.stringify(firehoseBody(records)));
const mixed = () => [
  ...seedRecords(),
  fixture('kinesis/binary-double-base64-modify.json'),
  fixture('kinesis/millisecond-modify-unicode.json'),
  '!!not base64',
  { eventName: 'NOPE' },
];

describe('bodyDecoder: decoding in worker threads', () => {
  const pool = bodyDecoder(2);
  afterAll(() => pool.close());

  it('answers what decodeFirehoseBody answers, records that fail included, many bodies at once', async () => {
    const bodies = Array.from({ length: 6 }, () => bodyOf(mixed()));
    const answers = await Promise.all(bodies.map((b) => pool.decode(b, nowBounds)));
    answers.forEach((answer, i) => expect(answer).toEqual(decodeFirehoseBody(bodies[i]!, nowBounds)));
    expect(answers[0]!.ok && answers[0]!.body.decoded.filter((r) => !r.ok)).toHaveLength(2);
  });

  it('answers a body that is not Firehose’s as decodeFirehoseBody does', async () => {
    const body = Buffer.from('{"records": 5}');
    expect(await pool.decode(body, nowBounds)).toEqual(decodeFirehoseBody(body, nowBounds));
  });

  it('decodes on this thread with no workers, and refuses work once closed', async () => {
    const inline = bodyDecoder(0);
    expect(inline.workers).toBe(0);
    const body = bodyOf(seedRecords());
    expect(await inline.decode(body, nowBounds)).toEqual(decodeFirehoseBody(body, nowBounds));
    const closing = bodyDecoder(1);
    await closing.close();
    await expect(closing.decode(body, nowBounds)).rejects.toThrow(/closed/);
  });

  it('serves /firehose the same with workers as without', async () => {
    const answers = [];
    for (const decoder of [bodyDecoder(0), pool]) {
      const sink = stubSink();
      const loaded = loadConfig({ ACCESS_KEY, PGLITE_DIR: 'memory://', LOG_LEVEL: 'silent' });
      if (!loaded.ok) throw new Error(loaded.problems.join('; '));
      const app = createApp({ config: loaded.config, sink, log: pino({ level: 'silent' }), decoder });
      const response = await app.request(firehoseRequest(firehoseBody(mixed(), 'same-request')));
      expect(response.status).toBe(200);
      answers.push(sink.batches);
    }
    expect(answers[1]).toEqual(answers[0]);
  });
});

describe('DECODE_WORKERS', () => {
  it('is off by default; auto takes a worker per core beyond the first, none on two cores', () => {
    const config = (env: Record<string, string>, cores?: number) => {
      const loaded = loadConfig({ PGLITE_DIR: 'memory://', ...env }, { cores });
      if (!loaded.ok) throw new Error(loaded.problems.join('; '));
      return loaded.config.decodeWorkers;
    };
    expect(config({})).toBe(0);
    expect(config({ DECODE_WORKERS: '3' })).toBe(3);
    expect(config({ DECODE_WORKERS: 'auto' }, 2)).toBe(0);
    expect(config({ DECODE_WORKERS: 'auto' }, 4)).toBe(3);
    expect(workersForCores(1)).toBe(0);
    expect(loadConfig({ DECODE_WORKERS: 'many' }).ok).toBe(false);
  });
});
