import { count, duration, perSecond, progressBar } from '../cli/progress-bar.js';
import type { BackfillProgress, BackfillSummary } from './run-backfill.js';

export { duration };

/** One line: `[#####...] 12,345 / ~50,000 items  1,234 items/s  ETA 0:31  segments 3/8`. */
export function progressLine(p: BackfillProgress): string {
  const finished = p.segmentsDone === p.totalSegments;
  const bar = progressBar({ done: p.scanned, doneNow: p.scannedNow, estimated: p.estimatedItems, elapsedMs: p.elapsedMs, finished, unit: 'items' });
  return `${bar}  segments ${p.segmentsDone}/${p.totalSegments}`;
}

/** The closing report, one fact per line. */
export function summaryText(s: BackfillSummary): string {
  const lines = [
    `backfill of ${s.table} ${s.complete ? 'complete' : 'stopped before the end (run the same command again to resume)'}${s.resumed ? ' (resumed)' : ''}`,
    `  items scanned: ${count(s.scannedNow)} now, ${count(s.scanned)} in this run`,
    `  applied ${count(s.applied)}, stale ${count(s.stale)} (a newer change was there), duplicate ${count(s.duplicate)}, dead-lettered ${count(s.deadLettered)}`,
    `  segments ${s.segmentsDone}/${s.totalSegments}, pages ${count(s.pages)}, ${duration(s.elapsedMs / 1000)} at ${count(Math.round(perSecond(s.scannedNow, s.elapsedMs)))} items/s`,
    `  version ${s.version}`,
  ];
  if (s.complete) {
    // Only a complete run has seen every item: rows older than it are items deleted unseen.
    lines.push(`  rows of items gone before the stream was on: WHERE NOT deleted AND version < ${s.version} (--prune marks them deleted)`);
  }
  return lines.join('\n');
}
