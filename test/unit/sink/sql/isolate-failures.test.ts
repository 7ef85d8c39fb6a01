import { describe, expect, it } from 'vitest';
import { defaultSplitBudget, writeIsolatingFailures } from '../../../../src/sink/sql/isolate-failures.js';

/** A table that refuses whole statements holding a bad row, as a database refuses a statement. */
function refusingTable(bad: (row: number) => boolean) {
  const stored: number[] = [];
  let statements = 0;
  let rowsSent = 0;
  const write = async (rows: readonly number[]) => {
    statements++;
    rowsSent += rows.length;
    if (rows.some(bad)) throw Object.assign(new Error(`refused ${rows.find(bad)}`), { row: true });
    stored.push(...rows);
    return rows.map(() => 'written');
  };
  return { write, stored, counts: () => ({ statements, rowsSent }) };
}

const isRowError = (error: unknown) => (error as { row?: boolean }).row === true;
const rows = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('writeIsolatingFailures', () => {
  it('isolates one refused row among 10,000 by halving, in about 2·log2(n) statements', async () => {
    const table = refusingTable((r) => r === 4_321);
    const results = await writeIsolatingFailures(rows(10_000), table.write, isRowError, () => 'refused');
    expect(results.filter((r) => r === 'refused')).toHaveLength(1);
    expect(results[4_321]).toBe('refused');
    expect(table.stored).toHaveLength(9_999);
    expect(table.counts().statements).toBeLessThanOrEqual(2 * 14 + 1);
  });

  it('bounds the work for 10,000 refused rows: halving stops at its budget, the rest goes row by row', async () => {
    const table = refusingTable((r) => r % 1_000 !== 0);
    const results = await writeIsolatingFailures(rows(10_000), table.write, isRowError, () => 'refused');
    expect(results.filter((r) => r === 'written')).toHaveLength(10);
    const { statements, rowsSent } = table.counts();
    // Unbounded halving: 19,999 statements sending about 140,000 rows.
    expect(statements).toBeLessThanOrEqual(2 * defaultSplitBudget(10_000) + 10_000);
    expect(rowsSent).toBeLessThan(60_000);
  });

  it('hands what is left after the budget to writeEach, which settles each row', async () => {
    const table = refusingTable((r) => r % 2 === 0);
    const handed: number[][] = [];
    const results = await writeIsolatingFailures(rows(1_000), table.write, isRowError, () => 'refused', {
      maxFailedSplits: 2,
      writeEach: async (part) => {
        handed.push([...part]);
        return part.map((r) => (r % 2 === 0 ? 'refused' : 'written'));
      },
    });
    expect(results).toEqual(rows(1_000).map((r) => (r % 2 === 0 ? 'refused' : 'written')));
    expect(handed.flat().sort((a, b) => a - b)).toEqual(rows(1_000));
    // 1,000 and 500 are split; then each failing part (250, 250, 500) is handed over whole.
    expect(table.counts().statements).toBe(5);
    expect(handed.map((part) => part.length)).toEqual([250, 250, 500]);
  });

  it('throws a refusal that is not about a row, dead-lettering nothing', async () => {
    const write = async () => {
      throw new Error('connection reset');
    };
    await expect(writeIsolatingFailures(rows(10), write, isRowError, () => 'refused')).rejects.toThrow('connection reset');
  });
});
