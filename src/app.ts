import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { BodyBuffers } from './http/body-buffers.js';
import type { DeliveryDeps } from './http/deliver.js';
import { DeliveryGate } from './http/delivery-gate.js';
import { ProcessingBudget } from './http/processing-budget.js';
import { registerDocsRoutes } from './http/docs-routes.js';
import { firehoseHandler } from './http/firehose-route.js';
import { registerHealthRoutes } from './http/health-routes.js';
import { recordsHandler } from './http/records-route.js';
import { ServiceStatus } from './http/service-status.js';
import { statusHandler } from './http/status-route.js';
import { redactCredentials } from './log/credentials.js';
import { createMetrics, type Metrics } from './metrics/create-metrics.js';
import { bodyDecoder, type BodyDecoder } from './pipeline/body-decoder.js';
import { deliveryRecorder } from './pipeline/delivery-metrics.js';
import { answerWrongMethods } from './http/method-not-allowed.js';
import { instrumentSink } from './pipeline/instrument-sink.js';
import type { Sink } from './sink/sink.js';
import { StreamRoutes } from './pipeline/stream-routes.js';
import { targetTables } from './pipeline/target-tables.js';

export interface AppDeps {
  readonly config: Config;
  readonly sink: Sink;
  readonly log: Logger;
  /** A sink over the same connections into another schema, for delivery streams that name one (TARGET_SCHEMA attribute). */
  readonly sinkFor?: (schema: string) => Sink;
  /** A registry of its own per app; created when not given. */
  readonly metrics?: Metrics;
  /** Where Firehose bodies are decoded (main.ts: DECODE_WORKERS); this thread when not given. */
  readonly decoder?: BodyDecoder;
}

export type App = Hono & {
  /** Bounds the deliveries in flight; main.ts drains it on SIGTERM. */
  readonly gate: DeliveryGate;
  readonly metrics: Metrics;
};

/** Builds the HTTP app from its dependencies; importing this module does no I/O. */
export function createApp({ config, sink: rawSink, log, sinkFor, metrics = createMetrics(), decoder = bodyDecoder(0) }: AppDeps): App {
  const sink = instrumentSink(rawSink, metrics);
  const targets = targetTables(config, sink);
  const gate = new DeliveryGate({
    maxInFlight: config.maxConcurrentDeliveries,
    deadlineMs: config.deliveryTimeoutMs,
    onChange: (n) => metrics.inFlight.set(n),
  });
  const status = new ServiceStatus();
  const deliveryDeps: DeliveryDeps = {
    sink,
    log,
    access: { keys: config.accessKeys, allowUnauthenticated: config.allowUnauthenticated },
    limits: { maxBodyBytes: config.maxBodyBytes, maxDecompressedBytes: config.maxDecompressedBytes },
    bodies: new BodyBuffers(),
    targets,
    changeLog: config.sink.changeLog,
    futureChangeMarginSeconds: config.futureChangeMarginSeconds,
    gate,
    budget: new ProcessingBudget(config.maxProcessingBytes),
    metrics,
    recordDelivery: deliveryRecorder(metrics),
    decoder,
    status,
    routes: new StreamRoutes(
      { sink, targets, tableMap: config.tableMap, deadLetterTable: config.sink.deadLetterTable },
      sinkFor && ((schema) => instrumentSink(sinkFor(schema), metrics)),
    ),
    scrub: redactCredentials,
  };
  const app = new Hono();
  app.post('/firehose', firehoseHandler(deliveryDeps, config.sink.deadLetterTable));
  app.post('/records', recordsHandler(deliveryDeps));
  registerHealthRoutes(app, sink);
  app.get('/status', statusHandler({ sink, gate, metrics, status }));
  registerDocsRoutes(app, metrics);
  answerWrongMethods(app);
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    log.error({ err: error }, 'unhandled error');
    return c.json({ error: 'internal error' }, 500);
  });
  return Object.assign(app, { gate, metrics });
}
