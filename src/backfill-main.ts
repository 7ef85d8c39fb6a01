import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseBackfillArgs, USAGE } from './backfill/cli-args.js';
import { progressLine, summaryText } from './backfill/progress-line.js';
import { pruneGone } from './backfill/prune-gone.js';
import { runBackfill } from './backfill/run-backfill.js';
import { argsOrExit, bootOrExit } from './cli/startup.js';
import { interruptOnSignals, progressDrawer } from './cli/terminal.js';
import { openSink } from './pipeline/bootstrap.js';
import { targetTables } from './pipeline/target-tables.js';

// `npm run backfill`: the only side effects of the backfill command (arguments, environment,
// terminal, signals). Exit codes: 0 complete, 1 failed (cursors saved), 2 usage, 130 interrupted.
const args = argsOrExit(parseBackfillArgs(process.argv.slice(2)), USAGE);
// The progress bar is the info; keys and the database password never appear, as in the service.
const { config, log, scrub } = bootOrExit(process.env, { quiet: true });
const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (args.endpoint ? 'us-east-1' : undefined);
const client = new DynamoDBClient({ endpoint: args.endpoint, region, maxAttempts: 10 });
const opened = await openSink(config, log);
if (!opened.ok) {
  // The embedded database is in use (by the service, say) or damaged: say so, write nothing.
  process.stderr.write(`error: ${opened.error.message}\n`);
  process.exit(1);
}
const { sink } = opened;
const targets = targetTables(config, sink);

const signal = interruptOnSignals('interrupted: finishing the pages in flight and saving the cursors…');
const progress = progressDrawer(progressLine);

const result = await runBackfill({
  client,
  table: args.table,
  segments: args.segments,
  pageSize: args.pageSize,
  statePath: args.statePath,
  restart: args.restart,
  sink,
  targets,
  changeLog: config.sink.changeLog,
  signal,
  onProgress: (p) => progress.draw(p),
});
if (result.summary) progress.draw(result.summary, true);
progress.end();
if (result.summary) process.stdout.write(`${summaryText(result.summary)}\n`);
if (!result.ok) process.stderr.write(scrub(`backfill failed (${result.error.code}): ${result.error.message}\n`));
let pruneFailed = false;
if (args.prune && result.ok) {
  if (!result.summary.complete) {
    process.stderr.write('--prune skipped: the run is not complete (resume it, then prune)\n');
  } else {
    const pruned = await pruneGone({ sink, table: args.table, targets, version: result.summary.version });
    if (pruned.ok)
      process.stdout.write(
        `  pruned ${pruned.pruned} rows of items gone before the stream was on${pruned.kept ? ` (${pruned.kept} kept: the stream changed them meanwhile)` : ''}\n`,
      );
    else process.stderr.write(scrub(`prune failed: ${pruned.error.message}\n`));
    pruneFailed = !pruned.ok;
  }
}
await sink.close();
client.destroy();
process.exit(!result.ok || pruneFailed ? 1 : result.summary.complete ? 0 : 130);
