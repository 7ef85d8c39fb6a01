import { Hono } from 'hono';
import type { Metrics } from '../metrics/create-metrics.js';
import { registerDocsRoutes } from '../http/docs-routes.js';
import { registerHealthRoutes } from '../http/health-routes.js';
import type { Sink } from '../sink/sink.js';

/** The consumer's HTTP side: /healthz, /readyz (the database answers) and /metrics, as the service has them. */
export function createConsumerApp(sink: Sink, metrics: Metrics): Hono {
  const app = new Hono();
  registerHealthRoutes(app, sink);
  registerDocsRoutes(app, metrics);
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
