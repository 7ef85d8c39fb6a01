import { describe, expect, it } from 'vitest';
import { duration, progressLine, summaryText } from '../../../src/backfill/progress-line.js';
import type { BackfillProgress } from '../../../src/backfill/run-backfill.js';

const progress = (p: Partial<BackfillProgress> = {}): BackfillProgress => ({
  scanned: 2_500,
  scannedNow: 2_000,
  estimatedItems: 10_000,
  elapsedMs: 4_000,
  segmentsDone: 1,
  totalSegments: 4,
  ...p,
});

describe('progressLine', () => {
  it('shows items, items/s of this process and the ETA from the estimate', () => {
    // 2,000 items in 4 s = 500/s; 7,500 left → 15 s.
    expect(progressLine(progress())).toBe('[######..................] 2,500 / ~10,000 items  500 items/s  ETA 0:15  segments 1/4');
  });

  it('does not pretend to know the end once the approximate count is passed, or with no count', () => {
    expect(progressLine(progress({ scanned: 12_000 }))).toBe('[????????????????????????] 12,000 / ~10,000 items  500 items/s  ETA ?  segments 1/4');
    expect(progressLine(progress({ estimatedItems: 0 }))).toBe('[????????????????????????] 2,500 items  500 items/s  ETA ?  segments 1/4');
  });

  it('is full when every segment is done', () => {
    expect(progressLine(progress({ scanned: 9_000, segmentsDone: 4 }))).toBe(
      '[########################] 9,000 / ~10,000 items  500 items/s  done  segments 4/4',
    );
  });
});

describe('summaryText', () => {
  it('reports the tallies and says how to resume an unfinished run', () => {
    const summary = {
      ...progress(),
      table: 'orders',
      version: -7_000_000,
      resumed: true,
      complete: false,
      applied: 1_990,
      stale: 7,
      duplicate: 3,
      deadLettered: 0,
      pages: 20,
    };
    const text = summaryText(summary);
    expect(text).toContain('backfill of orders stopped before the end (run the same command again to resume) (resumed)');
    expect(text).toContain('items scanned: 2,000 now, 2,500 in this run');
    expect(text).toContain('applied 1,990, stale 7 (a newer change was there), duplicate 3, dead-lettered 0');
    expect(text).toContain('segments 1/4, pages 20, 0:04 at 500 items/s');
    expect(text).not.toContain('WHERE');
    const done = summaryText({ ...summary, complete: true, resumed: false });
    expect(done).toMatch(/^backfill of orders complete\n/);
    expect(done).toContain('WHERE NOT deleted AND version < -7000000');
  });
});

describe('duration', () => {
  it('prints m:ss and h:mm:ss', () => {
    expect([duration(0), duration(59.6), duration(61), duration(3_600 * 2 + 61)]).toEqual(['0:00', '1:00', '1:01', '2:01:01']);
  });
});
