import { argsOrExit, bootOrExit } from './cli/startup.js';
import { interruptOnSignals, progressDrawer } from './cli/terminal.js';
import { openSink } from './pipeline/bootstrap.js';
import { progressLine, summaryText } from './rematerialize/progress-line.js';
import { parseRematerializeArgs, USAGE } from './rematerialize/cli-args.js';
import { runRematerialize } from './rematerialize/run-rematerialize.js';

// `npm run rematerialize`: the only side effects of the command (arguments, environment,
// terminal, signals). Exit codes: 0 complete, 1 failed (cursor saved), 2 usage or no columns, 130 interrupted.
const args = argsOrExit(parseRematerializeArgs(process.argv.slice(2)), USAGE);
const { config, log, scrub } = bootOrExit(process.env, { quiet: true });
const columns = config.columnMap.get(args.table) ?? [];
if (columns.length === 0) {
  const mapped = [...config.columnMap.keys()];
  process.stderr.write(
    `error: COLUMN_MAP maps no columns for table ${args.table} (${mapped.length > 0 ? `it maps ${mapped.join(', ')}` : 'COLUMN_MAP is not set'})\n`,
  );
  process.exit(2);
}
const opened = await openSink(config, log);
if (!opened.ok) {
  // The embedded database is in use (by the service, say) or damaged: say so, write nothing.
  process.stderr.write(`error: ${opened.error.message}\n`);
  process.exit(1);
}
const { sink } = opened;

const signal = interruptOnSignals('interrupted: finishing the page in flight and saving the cursor…');
const progress = progressDrawer(progressLine);

const result = await runRematerialize({
  sink,
  table: args.table,
  columns,
  batchSize: args.batchSize,
  statePath: args.statePath,
  restart: args.restart,
  signal,
  onProgress: (p) => progress.draw(p),
});
if (result.summary) progress.draw(result.summary, true);
progress.end();
if (result.summary) process.stdout.write(`${summaryText(result.summary)}\n`);
if (!result.ok) process.stderr.write(scrub(`rematerialize failed (${result.error.code}): ${result.error.message}\n`));
await sink.close();
process.exit(!result.ok ? 1 : result.summary.complete ? 0 : 130);
