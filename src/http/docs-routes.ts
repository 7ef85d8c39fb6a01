import { readFile } from 'node:fs/promises';
import type { Hono } from 'hono';
import type { Metrics } from '../metrics/create-metrics.js';

// Two levels up from src/http/ and from dist/http/ alike: the project root, where the image has it too.
const OPENAPI_FILE = new URL('../../openapi.yaml', import.meta.url);

/** GET /metrics (Prometheus text format) and GET /openapi.yaml (this service's description). */
export function registerDocsRoutes(app: Hono, metrics: Metrics): void {
  app.get('/metrics', async (c) => c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  let openapi: Promise<string> | undefined;
  app.get('/openapi.yaml', async (c) => {
    openapi ??= readFile(OPENAPI_FILE, 'utf8');
    return c.body(await openapi, 200, { 'content-type': 'application/yaml; charset=utf-8' });
  });
}
