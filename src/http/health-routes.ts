import type { Hono } from 'hono';
import type { Sink } from '../sink/sink.js';

/** /healthz: the process answers. /readyz: the database answers too. */
export function registerHealthRoutes(app: Hono, sink: Sink): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const reachable = await sink.ping();
    return c.json({ status: reachable ? 'ready' : 'unavailable', sink: sink.kind }, reachable ? 200 : 503);
  });
}
