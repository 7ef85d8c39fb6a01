import { Writable } from 'node:stream';
import type pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { redactUrl, urlSecrets } from '../../src/log/credentials.js';
import { configSecrets, createLogger } from '../../src/log/logger.js';
import { createSink } from '../../src/sink/create-sink.js';
import { SinkError } from '../../src/sink/sink.js';
import { seedRecords } from '../support/fixtures.js';
import { firehoseBody, firehoseRequest } from '../support/firehose.js';
import { recordsRequest } from '../support/records.js';
import { killServices, startService, stopService } from '../support/service-process.js';
import { downSink, stubSink } from '../support/stub-sink.js';

const KEY = 'k3y-Th4t-Must-Not-Leak';
const OLD_KEY = 'older-key-still-valid';
const PASSWORD = 'pa55"w0rd/with%special';
const SINK_URL = `postgres://ingest:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/cdc`;
// libpq and pg take credentials as query parameters too.
const PARAM_PASSWORD = 'par4m-pa55word';
const SSL_PASSWORD = 'ssl-k3y-pa55phrase';
const PARAM_URL = `postgres://ingest@127.0.0.1:1/cdc?sslmode=disable&password=${PARAM_PASSWORD}&sslpassword=${SSL_PASSWORD}`;

/** A pino destination that keeps every line. */
function captured(): { stream: pino.DestinationStream; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { stream: stream as unknown as pino.DestinationStream, lines };
}

const leaks = (text: string) =>
  [KEY, OLD_KEY, PASSWORD, encodeURIComponent(PASSWORD), JSON.stringify(PASSWORD).slice(1, -1), PARAM_PASSWORD, SSL_PASSWORD].filter((s) => text.includes(s));

describe('secrets in logs', () => {
  it('redacts key and password fields, and scrubs the values wherever else they appear', () => {
    const out = captured();
    const log = createLogger('trace', { secrets: [KEY, ...urlSecrets(SINK_URL)], destination: out.stream });
    log.info({ headers: { 'x-amz-firehose-access-key': KEY, authorization: `Bearer ${KEY}` } }, 'request');
    log.info({ accessKey: KEY, password: PASSWORD, sink: { password: PASSWORD } }, 'fields');
    log.warn(`a message that quotes the key ${KEY} and the url ${SINK_URL}`);
    const cause = new Error(`connect failed for ${SINK_URL}`);
    log.error({ err: new SinkError(`database said: password "${PASSWORD}" rejected`, true, { cause }) }, 'write failed');
    log.debug({ nested: { deeper: [{ note: `x${PASSWORD}y` }] } }, 'nested');
    expect(out.lines).toHaveLength(5);
    for (const line of out.lines) {
      expect(leaks(line), line).toEqual([]);
      expect(() => JSON.parse(line)).not.toThrow();
    }
    expect(out.lines.join('')).toContain('[redacted]');
  });

  it('knows the secrets of a configuration and shows database URLs without the password', () => {
    const loaded = loadConfig({ ACCESS_KEY: `${OLD_KEY},${KEY}`, SINK_URL });
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(configSecrets(loaded.config)).toEqual([OLD_KEY, KEY, encodeURIComponent(PASSWORD), PASSWORD]);
    expect(leaks(redactUrl(SINK_URL))).toEqual([]);
    expect(redactUrl(SINK_URL)).toBe('postgres://ingest:***@127.0.0.1:1/cdc');
  });

  it('never shows a key or the database password in logs, answers, /status or /metrics of a service whose database is down', async () => {
    const loaded = loadConfig({ ACCESS_KEY: `${OLD_KEY},${KEY}`, SINK_URL, SINK_CONNECT_TIMEOUT_MS: '500', LOG_LEVEL: 'trace' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const out = captured();
    const log = createLogger('trace', { secrets: configSecrets(loaded.config), destination: out.stream });
    // A real PostgreSQL sink at a port where nothing listens.
    const sink = await createSink(loaded.config.sink, log);
    const app = createApp({ config: loaded.config, sink, log });
    const texts: string[] = [];
    const keep = async (response: Response | Promise<Response>) => {
      const r = await response;
      texts.push(`${r.status} ${JSON.stringify([...r.headers])} ${await r.text()}`);
      return r.status;
    };
    try {
      expect(await keep(app.request(firehoseRequest(firehoseBody(seedRecords()), { accessKey: KEY })))).toBe(503);
      expect(await keep(app.request(firehoseRequest(firehoseBody(seedRecords()), { accessKey: `${KEY}-wrong` })))).toBe(401);
      expect(await keep(app.request(recordsRequest(seedRecords(), OLD_KEY)))).toBe(503);
      expect(await keep(app.request('/readyz'))).toBe(503);
      expect(await keep(app.request('/status'))).toBe(200);
      expect(await keep(app.request('/metrics'))).toBe(200);
    } finally {
      await sink.close();
    }
    expect(out.lines.length).toBeGreaterThanOrEqual(3);
    expect(leaks(out.lines.join('\n'))).toEqual([]);
    expect(leaks(texts.join('\n'))).toEqual([]);
  });

  it('redacts, by structure, the credentials a database error quotes in the answer and /status', async () => {
    const loaded = loadConfig({ ACCESS_KEY: KEY, SINK_URL, LOG_LEVEL: 'silent' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const out = captured();
    const log = createLogger('trace', { secrets: configSecrets(loaded.config), destination: out.stream });
    const sink = downSink(new SinkError(`could not connect to ${SINK_URL} nor to ${PARAM_URL}`, true));
    const app = createApp({ config: loaded.config, sink, log });
    const response = await app.request(firehoseRequest(firehoseBody(seedRecords()), { accessKey: KEY }));
    const answer = (await response.json()) as { errorMessage: string };
    expect(response.status).toBe(503);
    expect(answer.errorMessage).toBe(
      'could not connect to postgres://ingest:[redacted]@127.0.0.1:1/cdc nor to postgres://ingest@127.0.0.1:1/cdc?sslmode=disable&password=[redacted]&sslpassword=[redacted]',
    );
    const status = await (await app.request('/status')).text();
    expect(leaks(status)).toEqual([]);
    expect(status).toContain('[redacted]');
    expect(leaks(out.lines.join('\n'))).toEqual([]);
  });

  it('answers a client the same whether the text it sent is a configured secret or not (no guessing oracle)', async () => {
    const loaded = loadConfig({ ACCESS_KEY: KEY, SINK_URL: `${SINK_URL}?password=${PARAM_PASSWORD}`, LOG_LEVEL: 'silent' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const { app } = { app: createApp({ config: loaded.config, sink: stubSink(), log: createLogger('silent') }) };
    const bearer = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const ways: [string, (guess: string) => Request][] = [
      [
        'Content-Encoding on /firehose',
        (g) => withHeaders(firehoseRequest(firehoseBody(seedRecords()), { accessKey: KEY, requestId: 'r' }), { 'content-encoding': g }),
      ],
      [
        'Content-Encoding on /records',
        (g) => new Request('http://sink.test/records', { method: 'POST', headers: { ...bearer, 'content-encoding': g, 'x-request-id': 'r' }, body: '[]' }),
      ],
      [
        'a body that is not JSON',
        (g) => new Request('http://sink.test/records', { method: 'POST', headers: { ...bearer, 'x-request-id': 'r' }, body: `{${g}` }),
      ],
      ['an eventName', (g) => withHeaders(recordsRequest([{ ...seedRecords()[0], eventName: g }], KEY), { 'x-request-id': 'r' })],
    ];
    for (const secret of [PASSWORD, PARAM_PASSWORD, KEY]) {
      const other = 'x'.repeat(secret.length);
      for (const [way, request] of ways) {
        const seen = async (guess: string) => {
          const response = await app.request(request(guess));
          const status = await (await app.request('/status')).json();
          return (
            `${response.status} ${await response.text()} ${JSON.stringify((status as { lastError: unknown }).lastError)}`
              // The guess as sent, and as quoted once or twice in JSON.
              .split(escaped(escaped(guess)))
              .join('<guess>')
              .split(escaped(guess))
              .join('<guess>')
              .split(guess)
              .join('<guess>')
              .replace(/"at":"[^"]+"/, '')
              .replace(/"timestamp":\d+/, '')
          );
        };
        const right = await seen(secret);
        expect(right, way).not.toContain('[redacted]');
        expect(right, way).toBe(await seen(other));
      }
    }
  });

  it('logs the start-up line without the credentials of a URL, password or query parameters', async () => {
    const service = await startService({ ACCESS_KEY: KEY, SINK_URL: `${PARAM_URL}&application_name=cdc`, SINK_CONNECT_TIMEOUT_MS: '500' });
    try {
      const delivered = await fetch(`${service.url}/firehose`, {
        method: 'POST',
        headers: { 'x-amz-firehose-access-key': KEY },
        body: JSON.stringify(firehoseBody(seedRecords())),
      });
      expect(delivered.status).toBe(503);
      expect(leaks(await delivered.text())).toEqual([]);
    } finally {
      await stopService(service);
      killServices();
    }
    const logs = service.logs.join('');
    expect(logs).toContain('"target":"postgres://ingest@127.0.0.1:1/cdc?sslmode=disable&password=[redacted]&sslpassword=[redacted]&application_name=cdc"');
    expect(leaks(logs)).toEqual([]);
  });
});

const escaped = (text: string) => JSON.stringify(text).slice(1, -1);

function withHeaders(request: Request, headers: Record<string, string>): Request {
  const merged = new Headers(request.headers);
  for (const [name, value] of Object.entries(headers)) merged.set(name, value);
  return new Request(request, { headers: merged });
}
