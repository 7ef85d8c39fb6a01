import { count, duration, perSecond, progressBar } from '../cli/progress-bar.js';
import type { RematerializeProgress, RematerializeSummary } from './run-rematerialize.js';

/** One line: `[#####...] 12,345 / ~50,000 rows  1,234 rows/s  ETA 0:31`. */
export function progressLine(p: RematerializeProgress): string {
  return progressBar({ done: p.read, doneNow: p.readNow, estimated: p.estimatedRows, elapsedMs: p.elapsedMs, finished: p.complete, unit: 'rows' });
}

/** The closing report, one fact per line. */
export function summaryText(s: RematerializeSummary): string {
  const lines = [
    `rematerialize of ${s.table} ${s.complete ? 'complete' : 'stopped before the end (run the same command again to resume)'}${s.resumed ? ' (resumed)' : ''}`,
    `  rows read: ${count(s.readNow)} now, ${count(s.read)} in this run`,
    `  columns written: ${count(s.writtenNow)} rows now, ${count(s.written)} in this run`,
    `  changed by the stream meanwhile: ${count(s.changed)} (read again and written from their new item), ${count(s.leftToStream)} left to the stream's own write`,
    `  values that did not convert: ${count(s.unconverted)} (NULL in their column; the item keeps them)`,
    `  pages ${count(s.pages)}, ${duration(s.elapsedMs / 1000)} at ${count(Math.round(perSecond(s.readNow, s.elapsedMs)))} rows/s`,
  ];
  if (s.skipped > 0) lines.push(`  rows whose stored item is not JSON (not written by this service), left as they are: ${count(s.skipped)}`);
  return lines.join('\n');
}
