import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/config.js';
import { createLogger, serializeError } from '../../../src/log/logger.js';
import { appWith } from '../../support/app-with.js';
import { ACCESS_KEY } from '../../support/firehose.js';
import { stubSink } from '../../support/stub-sink.js';

describe('answers that say what went wrong', () => {
  it('a known path asked with the wrong method: 405 with Allow', async () => {
    const { app } = appWith(stubSink());
    const wrong = await app.request('/firehose', { method: 'GET' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(await wrong.json()).toEqual({ error: 'GET is not served on /firehose; use POST' });
    const put = await app.request('/healthz', { method: 'PUT' });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    expect((await app.request('/nowhere', { method: 'GET' })).status, 'an unknown path stays 404').toBe(404);
    expect((await app.request('/healthz', { method: 'HEAD' })).status).toBe(200);
  });

  it("a 400 without the request id header answers with the body's requestId", async () => {
    const { app } = appWith(stubSink());
    const response = await app.request('/firehose', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-amz-firehose-access-key': ACCESS_KEY },
      body: JSON.stringify({ requestId: 'from-the-body', timestamp: 1, records: 'not a list' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ requestId: 'from-the-body' });
  });

  it('logs a refused request (4xx) with its reason and no stack trace', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) });
    const loaded = loadConfig({ ACCESS_KEY, PGLITE_DIR: 'memory://' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const app = createApp({ config: loaded.config, sink: stubSink(), log: pino({ level: 'warn' }, destination) });
    await app.request('/records', { method: 'POST', headers: { authorization: 'Bearer wrong' }, body: '[]' });
    await app.request('/records', { method: 'POST', headers: { authorization: `Bearer ${ACCESS_KEY}` }, body: 'not json' });
    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'delivery refused');
    expect(refused.map((l) => l.status)).toEqual([401, 400]);
    for (const line of refused) {
      expect(line.err, 'no error object with a stack').toBeUndefined();
      expect(typeof line.error).toBe('string');
    }
  });
});

describe('error log lines', () => {
  it("say a cause's message once: not again where our message already names it", () => {
    const cause = Object.assign(new Error('database "x" does not exist'), { code: '3D000' });
    const serialized = serializeError(new Error('postgres: database "x" does not exist', { cause })) as { message: string; cause: Record<string, unknown> };
    expect(serialized.message).toBe('postgres: database "x" does not exist');
    expect(serialized.cause).toMatchObject({ type: 'Error', code: '3D000' });
    expect(serialized.cause.message).toBeUndefined();
    const other = serializeError(new Error('postgres: refused', { cause: new Error('a different reason') })) as { cause: { message: string } };
    expect(other.cause.message, 'a cause saying more keeps its message').toBe('a different reason');
    const lines: string[] = [];
    const log = createLogger('info', { destination: { write: (line: string) => void lines.push(line) } });
    log.error({ err: new Error('postgres: database "x" does not exist', { cause }) }, 'refused');
    const withoutStacks = lines[0]!.replace(/"stack":"(?:[^"\\]|\\.)*"/g, '');
    expect(withoutStacks.match(/does not exist/g)?.length, 'once, stacks aside').toBe(1);
  });
});
