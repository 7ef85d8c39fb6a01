import { describe, expect, it } from 'vitest';
import { progressLine, summaryText } from '../../../src/rematerialize/progress-line.js';
import type { RematerializeSummary } from '../../../src/rematerialize/run-rematerialize.js';

const summary = (s: Partial<RematerializeSummary> = {}): RematerializeSummary => ({
  table: 'table_testdrive',
  read: 3_000,
  readNow: 2_000,
  estimatedRows: 10_000,
  elapsedMs: 4_000,
  complete: false,
  written: 2_990,
  writtenNow: 1_990,
  changed: 4,
  leftToStream: 1,
  skipped: 0,
  unconverted: 7,
  pages: 4,
  resumed: true,
  ...s,
});

describe('rematerialize progress', () => {
  it('shows rows, rows/s of this process and the ETA from the count', () => {
    // 2,000 rows in 4 s = 500/s; 7,000 left → 14 s.
    expect(progressLine(summary())).toBe('[#######.................] 3,000 / ~10,000 rows  500 rows/s  ETA 0:14');
    expect(progressLine(summary({ complete: true }))).toBe('[########################] 3,000 / ~10,000 rows  500 rows/s  done');
  });

  it('closes with one fact per line', () => {
    expect(summaryText(summary()).split('\n')).toEqual([
      'rematerialize of table_testdrive stopped before the end (run the same command again to resume) (resumed)',
      '  rows read: 2,000 now, 3,000 in this run',
      '  columns written: 1,990 rows now, 2,990 in this run',
      "  changed by the stream meanwhile: 4 (read again and written from their new item), 1 left to the stream's own write",
      '  values that did not convert: 7 (NULL in their column; the item keeps them)',
      '  pages 4, 0:04 at 500 rows/s',
    ]);
    expect(summaryText(summary({ complete: true, resumed: false, skipped: 2 }))).toMatch(
      /^rematerialize of table_testdrive complete\n[\s\S]*left as they are: 2$/,
    );
  });
});
