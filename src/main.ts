import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { loadConfig } from './config/config.js';
import { createLogger, redactUrl } from './log/logger.js';
import { createSink } from './sink/create-sink.js';

// The only module with side effects: read the environment, build the parts, serve, stop cleanly.
const loaded = loadConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(`invalid configuration:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(2);
}
const { config } = loaded;
const log = createLogger(config.logLevel);

if (config.accessKeys.length === 0) {
  if (config.allowUnauthenticated) log.warn('ALLOW_UNAUTHENTICATED=true: anyone who can reach this port can write. Development only.');
  else log.warn('no ACCESS_KEY configured: every write is refused with 401 until one is set');
}

const sink = await createSink(config.sink, log);
const app = createApp({ config, sink, log });
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  log.info(
    { port: info.port, host: config.host, sink: sink.kind, target: config.sink.url ? redactUrl(config.sink.url) : config.sink.pgliteDir },
    'listening',
  );
});
// Firehose waits up to 3 minutes for an answer; Node's default request timeout is shorter.
server.setTimeout?.(0);
(server as { requestTimeout?: number }).requestTimeout = 0;

let purgeTimer: NodeJS.Timeout | undefined;
if (config.tombstoneRetentionHours > 0) {
  purgeTimer = setInterval(() => {
    const before = (Date.now() - config.tombstoneRetentionHours * 3_600_000) * 1000;
    sink.purgeTombstones(before).then(
      (purged) => log.info({ purged }, 'tombstones purged'),
      (error: unknown) => log.warn({ err: error }, 'tombstone purge failed'),
    );
  }, config.tombstonePurgeIntervalSeconds * 1000);
  purgeTimer.unref();
}

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down: finishing in-flight deliveries');
  clearInterval(purgeTimer);
  const force = setTimeout(() => {
    log.error('in-flight deliveries did not finish in time; exiting');
    process.exit(1);
  }, config.deliveryTimeoutMs + 5000);
  force.unref();
  server.close(() => {
    sink.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
