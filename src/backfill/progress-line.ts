import type { BackfillProgress, BackfillSummary } from './run-backfill.js';

const BAR_WIDTH = 24;

/** One line: `[#####...] 12,345 / ~50,000 items  1,234 items/s  ETA 0:31  segments 3/8`. */
export function progressLine(p: BackfillProgress): string {
  const rate = itemsPerSecond(p.scannedNow, p.elapsedMs);
  // ItemCount is approximate: once the scan passes it, the fraction is unknown, not over 100%.
  const known = p.estimatedItems > 0 && p.scanned <= p.estimatedItems && p.segmentsDone < p.totalSegments;
  const fraction = p.segmentsDone === p.totalSegments ? 1 : known ? p.scanned / p.estimatedItems : null;
  const filled = fraction === null ? 0 : Math.round(fraction * BAR_WIDTH);
  const bar = fraction === null ? '?'.repeat(BAR_WIDTH) : '#'.repeat(filled) + '.'.repeat(BAR_WIDTH - filled);
  const total = p.estimatedItems > 0 ? ` / ~${count(p.estimatedItems)}` : '';
  const remaining = known && rate > 0 ? (p.estimatedItems - p.scanned) / rate : null;
  const eta = fraction === 1 ? 'done' : remaining === null ? 'ETA ?' : `ETA ${duration(remaining)}`;
  return `[${bar}] ${count(p.scanned)}${total} items  ${count(Math.round(rate))} items/s  ${eta}  segments ${p.segmentsDone}/${p.totalSegments}`;
}

/** The closing report, one fact per line. */
export function summaryText(s: BackfillSummary): string {
  const lines = [
    `backfill of ${s.table} ${s.complete ? 'complete' : 'stopped before the end (run the same command again to resume)'}${s.resumed ? ' (resumed)' : ''}`,
    `  items scanned: ${count(s.scannedNow)} now, ${count(s.scanned)} in this run`,
    `  applied ${count(s.applied)}, stale ${count(s.stale)} (a newer change was there), duplicate ${count(s.duplicate)}, dead-lettered ${count(s.deadLettered)}`,
    `  segments ${s.segmentsDone}/${s.totalSegments}, pages ${count(s.pages)}, ${duration(s.elapsedMs / 1000)} at ${count(Math.round(itemsPerSecond(s.scannedNow, s.elapsedMs)))} items/s`,
    `  version ${s.version}`,
  ];
  if (s.complete) {
    // Only a complete run has seen every item: rows older than it are items deleted unseen.
    lines.push(`  rows of items gone before the stream was on: WHERE NOT deleted AND version < ${s.version} (--prune marks them deleted)`);
  }
  return lines.join('\n');
}

function itemsPerSecond(items: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (items * 1000) / elapsedMs : 0;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Seconds → `m:ss` or `h:mm:ss`. */
export function duration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
