import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { serve } from '@hono/node-server';
import { argsOrExit, bootOrExit, exitOnListenError } from './cli/startup.js';
import { parseConsumeArgs, CONSUME_USAGE } from './consume/cli-args.js';
import { createConsumerApp } from './consume/consumer-app.js';
import { openSource } from './consume/open-source.js';
import { runConsumer } from './consume/run-consumer.js';
import { redactUrl } from './log/credentials.js';
import { createMetrics } from './metrics/create-metrics.js';
import { instrumentSink } from './pipeline/instrument-sink.js';
import { openSink } from './pipeline/bootstrap.js';
import { targetTables } from './pipeline/target-tables.js';

// `npm run consume`: the only side effects of the stream consumer (arguments, environment,
// HTTP port, signals). Exit codes: 0 stopped (SIGTERM/SIGINT) or the stream ended, 1 failed, 2 usage.
const args = argsOrExit(parseConsumeArgs(process.argv.slice(2)), CONSUME_USAGE);
const { config, log } = bootOrExit(process.env);
const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (args.endpoint ? 'us-east-1' : undefined);

const stop = new AbortController();
const onSignal = (signal: string) => {
  log.info({ signal }, 'stopping: finishing the batches in hand, checkpointing, releasing the lease');
  stop.abort();
};
process.once('SIGTERM', () => onSignal('SIGTERM'));
process.once('SIGINT', () => onSignal('SIGINT'));

let source;
try {
  source = await openSource(args.stream, { endpoint: args.endpoint, region }, config.futureChangeMarginSeconds);
} catch (error) {
  log.error({ err: error }, 'cannot open the stream');
  process.stderr.write(`consume: ${(error as Error).message}\n`);
  process.exit(1);
}
const metrics = createMetrics();
const target = await openSink(config, log);
if (!target.ok) {
  log.fatal({ code: target.error.code }, target.error.message);
  process.exit(1);
}
const sink = instrumentSink(target.sink, metrics);
const app = createConsumerApp(sink, metrics);
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  log.info(
    {
      port: info.port,
      host: config.host,
      sink: sink.kind,
      target: config.sink.url ? redactUrl(config.sink.url) : config.sink.pgliteDir,
      source: source.kind,
      stream: source.label,
    },
    'listening',
  );
});
exitOnListenError(server, { port: config.port, host: config.host }, log, () => sink.close());

let code = 0;
try {
  const end = await runConsumer({
    source,
    store: target.checkpoints,
    sink,
    targets: targetTables(config, sink),
    changeLog: config.sink.changeLog,
    start: args.start,
    reset: args.reset,
    owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    log,
    metrics,
    signal: stop.signal,
    leaseMs: args.leaseMs,
    pollMs: args.pollMs,
    batchLimit: args.batchSize,
  });
  log.info({ reason: end.reason }, end.reason === 'stopped' ? 'stopped' : 'the stream ended: stopped');
} catch (error) {
  log.error({ err: error }, 'the consumer failed');
  code = 1;
}
// Last resort, should closing hang.
setTimeout(() => process.exit(1), 15_000).unref();
const closed = new Promise<void>((resolve) => server.close(() => resolve()));
(server as { closeAllConnections?: () => void }).closeAllConnections?.();
await closed;
source.close();
try {
  await target.sink.close();
} catch (error) {
  log.error({ err: error }, 'closing the database failed');
  code = 1;
}
process.exit(code);
