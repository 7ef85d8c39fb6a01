import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import type { DeliveryDeps } from './http/deliver.js';
import { firehoseHandler } from './http/firehose-route.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { recordsHandler } from './http/records-route.js';
import type { Sink } from './sink/sink.js';

export interface AppDeps {
  readonly config: Config;
  readonly sink: Sink;
  readonly log: Logger;
}

/** Builds the HTTP app from its dependencies; importing this module does no I/O. */
export function createApp({ config, sink, log }: AppDeps): Hono {
  const deliveryDeps: DeliveryDeps = {
    sink,
    log,
    access: { keys: config.accessKeys, allowUnauthenticated: config.allowUnauthenticated },
    limits: { maxBodyBytes: config.maxBodyBytes, maxDecompressedBytes: config.maxDecompressedBytes },
    tableMap: config.tableMap,
    changeLog: config.sink.changeLog,
    deliveryTimeoutMs: config.deliveryTimeoutMs,
  };
  const app = new Hono();
  app.post('/firehose', firehoseHandler(deliveryDeps));
  app.post('/records', recordsHandler(deliveryDeps));
  registerHealthRoutes(app, sink);
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    log.error({ err: error }, 'unhandled error');
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}
