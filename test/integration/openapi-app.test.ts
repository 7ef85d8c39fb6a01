import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIREHOSE_HEADERS } from '../../src/http/firehose-protocol.js';
import { SinkError } from '../../src/sink/sink.js';
import { appWith } from '../support/app-with.js';
import { fixture, seedRecords } from '../support/fixtures.js';
import { ACCESS_KEY, firehoseBody, firehoseRequest } from '../support/firehose.js';
import { HTTP_METHODS, loadOpenApi, OPENAPI_FILE, OpenApiValidator, resolveLocal } from '../support/openapi.js';
import { createHarness, type Harness } from '../support/sinks.js';
import { downSink, stubSink } from '../support/stub-sink.js';

const doc = loadOpenApi();
const validator = new OpenApiValidator(doc);

/** Hono's `/items/:id{[0-9]+}` → OpenAPI's `/items/{id}`. */
const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

describe('openapi.yaml and the app', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness('pglite');
  });
  afterAll(async () => h?.close());

  const expectDocumented = async (path: string, method: string, response: Response, status: number) => {
    expect(response.status).toBe(status);
    expect(await validator.checkResponse(path, method, response)).toEqual([]);
  };

  it('documents exactly the routes the app registers', () => {
    const registered = new Set(
      h.app.routes
        // `app.use` middleware shows up as ALL /*, and each path's 405 answer to other methods as
        // ALL <path> (method-not-allowed.ts): neither is an endpoint.
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) => HTTP_METHODS.filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    expect([...documented].sort()).toEqual([...registered].sort());
  });

  it('documents the Firehose answers: never 413, always exactly {requestId, timestamp, errorMessage?}', () => {
    const responses = doc.paths['/firehose']!.post!.responses;
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '401', '500', '503']);
    for (const [status, response] of Object.entries(responses)) {
      const schema = resolveLocal(doc, resolveLocal(doc, response).content!['application/json']!.schema as { $ref?: string }) as Record<string, unknown>;
      expect(schema.additionalProperties, status).toBe(false);
      expect(Object.keys(schema.properties as object).sort(), status).toEqual(['errorMessage', 'requestId', 'timestamp']);
      expect((schema.properties as Record<string, { type: string }>).timestamp!.type).toBe('integer');
    }
  });

  it('names the headers the app reads', () => {
    const schemes = doc.components.securitySchemes!;
    expect(schemes.firehoseAccessKey).toMatchObject({ type: 'apiKey', in: 'header' });
    expect(schemes.firehoseAccessKey!.name!.toLowerCase()).toBe(FIREHOSE_HEADERS.accessKey);
    expect(schemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const headers = (doc.paths['/firehose']!.post!.parameters ?? [])
      .map((p) => resolveLocal(doc, p))
      .filter((p) => p.in === 'header')
      .map((p) => p.name!.toLowerCase());
    expect(headers).toEqual(
      expect.arrayContaining([FIREHOSE_HEADERS.requestId, FIREHOSE_HEADERS.protocolVersion, FIREHOSE_HEADERS.sourceArn, 'content-encoding']),
    );
    expect(doc.paths['/firehose']!.post!.security).toEqual([{ firehoseAccessKey: [] }]);
  });

  it('answers a Firehose delivery as documented: 200', async () => {
    const response = await h.app.request(firehoseRequest(firehoseBody(seedRecords())));
    await expectDocumented('/firehose', 'post', response, 200);
  });

  it('answers a wrong key as documented: 401', async () => {
    const response = await h.app.request(firehoseRequest(firehoseBody(seedRecords()), { accessKey: 'wrong' }));
    await expectDocumented('/firehose', 'post', response, 401);
  });

  it('answers a body that is not JSON as documented: 400', async () => {
    const response = await h.app.request(firehoseRequest('{"requestId": "r-1", "records": [', { requestId: 'r-1' }));
    await expectDocumented('/firehose', 'post', response, 400);
  });

  it('answers POST /records with a poison record as documented: 200 with the failure', async () => {
    const response = await h.app.request('/records', {
      method: 'POST',
      headers: { authorization: `Bearer ${ACCESS_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify([fixture('kinesis/seed-insert.json'), { hello: 'world' }]),
    });
    await expectDocumented('/records', 'post', response, 200);
    const report = await response.json();
    expect(report).toMatchObject({ received: 2, deadLettered: 1, failures: [{ index: 1 }] });
  });

  it('answers POST /records without a key as documented: 401', async () => {
    const response = await h.app.request('/records', { method: 'POST', body: '[]' });
    await expectDocumented('/records', 'post', response, 401);
  });

  it('answers /healthz and /readyz as documented', async () => {
    await expectDocumented('/healthz', 'get', await h.app.request('/healthz'), 200);
    await expectDocumented('/readyz', 'get', await h.app.request('/readyz'), 200);
  });

  it('answers /status as documented, before and after a failed delivery', async () => {
    await expectDocumented('/status', 'get', await h.app.request('/status'), 200);
    await h.app.request(firehoseRequest(firehoseBody(seedRecords()), { accessKey: 'wrong' }));
    const response = await h.app.request('/status');
    await expectDocumented('/status', 'get', response, 200);
    expect(((await response.json()) as { lastError: unknown }).lastError).not.toBeNull();
    const down = appWith(downSink());
    await down.app.request(firehoseRequest(firehoseBody(seedRecords())));
    await expectDocumented('/status', 'get', await down.app.request('/status'), 200);
  });

  it('serves /metrics as Prometheus text and /openapi.yaml as this very file', async () => {
    const metrics = await h.app.request('/metrics');
    expect(metrics.status).toBe(200);
    const metricsType = metrics.headers.get('content-type')!;
    expect(metricsType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(Object.keys(doc.paths['/metrics']!.get!.responses['200']!.content!)).toEqual([metricsType.split(';')[0]]);
    expect(await metrics.text()).toContain('# TYPE cdc_records_total counter');
    const yaml = await h.app.request('/openapi.yaml');
    expect(yaml.status).toBe(200);
    expect(Object.keys(doc.paths['/openapi.yaml']!.get!.responses['200']!.content!)).toEqual([yaml.headers.get('content-type')!.split(';')[0]]);
    expect(await yaml.text()).toBe(readFileSync(OPENAPI_FILE, 'utf8'));
  });

  it('documents the operations endpoints without a key, and 503 for overload on both write endpoints', () => {
    for (const path of ['/status', '/metrics', '/openapi.yaml', '/healthz', '/readyz']) expect(doc.paths[path]!.get!.security, path).toEqual([]);
    expect(doc.paths['/firehose']!.post!.responses['503']).toBeDefined();
    expect(doc.paths['/records']!.post!.responses['503']).toBeDefined();
  });

  it('answers as documented when the database is down: 503 everywhere', async () => {
    const { app } = appWith(downSink());
    await expectDocumented('/readyz', 'get', await app.request('/readyz'), 503);
    await expectDocumented('/firehose', 'post', await app.request(firehoseRequest(firehoseBody(seedRecords()))), 503);
    const records = await app.request('/records', {
      method: 'POST',
      headers: { authorization: `Bearer ${ACCESS_KEY}` },
      body: JSON.stringify(seedRecords()),
    });
    await expectDocumented('/records', 'post', records, 503);
  });

  it('answers as documented when the database refuses the write for good: 500', async () => {
    const { app } = appWith(downSink(new SinkError('stub: permission denied', false)));
    await expectDocumented('/firehose', 'post', await app.request(firehoseRequest(firehoseBody(seedRecords()))), 500);
  });

  it('answers an oversize body as documented: 400 on /firehose, 413 on /records', async () => {
    const { app } = appWith(stubSink(), { config: { maxBodyBytes: 256 } });
    await expectDocumented('/firehose', 'post', await app.request(firehoseRequest(firehoseBody(seedRecords()))), 400);
    const records = await app.request('/records', {
      method: 'POST',
      headers: { authorization: `Bearer ${ACCESS_KEY}` },
      body: JSON.stringify(seedRecords()),
    });
    await expectDocumented('/records', 'post', records, 413);
  });
});
