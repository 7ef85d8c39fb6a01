import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { bootOrExit, exitOnListenError } from './cli/startup.js';
import { redactUrl } from './log/credentials.js';
import { openSink } from './pipeline/bootstrap.js';
import { bodyDecoder } from './pipeline/body-decoder.js';

// The only module with side effects: read the environment, build the parts, serve, stop cleanly.
const { config, log } = bootOrExit(process.env);

if (config.accessKeys.length === 0) {
  if (config.allowUnauthenticated) log.warn('ALLOW_UNAUTHENTICATED=true: anyone who can reach this port can write. Development only.');
  else log.warn('no ACCESS_KEY configured: every write is refused with 401 until one is set');
} else if (config.allowUnauthenticated) {
  log.warn('ALLOW_UNAUTHENTICATED is ignored: ACCESS_KEY is set, so every write needs one of its keys');
}

const opened = await openSink(config, log);
if (!opened.ok) {
  // The embedded database is in use by another process, or damaged: one clear line, never serve.
  log.fatal({ code: opened.error.code }, opened.error.message);
  process.exit(1);
}
const { sink, sinkFor } = opened;
const decoder = bodyDecoder(config.decodeWorkers);
const app = createApp({ config, sink, sinkFor, log, decoder });
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  log.info({ port: info.port, host: config.host, sink: sink.kind, target: config.sink.url ? redactUrl(config.sink.url) : config.sink.pgliteDir }, 'listening');
});
exitOnListenError(server, { port: config.port, host: config.host }, log, () => sink.close());
// A database down or misnamed at start is said once, with what to check; the service serves anyway
// (/readyz answers 503, deliveries 503 so that Firehose retries) and recovers when it is reachable.
void sink.ping().then((reachable) => {
  if (!reachable) {
    const target = config.sink.url ? redactUrl(config.sink.url) : config.sink.pgliteDir;
    log.error(
      { target },
      'the database cannot be reached: check that it runs, that SINK_URL names it (host, port, database, user, password) and that this host may connect; /readyz answers 503 until it can',
    );
  }
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
/**
 * Stop taking deliveries (new connections are refused, a request on an open connection gets 503),
 * let those in flight finish for up to SHUTDOWN_TIMEOUT_SECONDS, then cut off the rest with 503
 * (never 200: Firehose retries them), close the database and exit.
 */
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal, inFlight: app.gate.inFlight }, 'shutting down: finishing in-flight deliveries');
  clearInterval(purgeTimer);
  // Last resort, should closing the database hang.
  setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 15_000).unref();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const finished = await app.gate.drain(config.shutdownTimeoutMs);
  if (!finished) log.warn({ timeoutMs: config.shutdownTimeoutMs }, 'deliveries cut off at the shutdown timeout: answered 503');
  // Answers are written; give their sockets a moment to flush, then close whatever keep-alive remains.
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
  (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  let code = 0;
  await decoder.close();
  try {
    await sink.close();
  } catch (error) {
    log.error({ err: error }, 'closing the database failed');
    code = 1;
  }
  log.info({ code }, 'stopped');
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
