import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Change } from '../../../src/decode/change.js';
import { compareChanges } from '../../../src/translate/change-order.js';
import { collapsePerKey, type IndexedChange } from '../../../src/translate/collapse-per-key.js';
import { change } from '../../support/changes.js';

const byTable = (c: Change) => c.sourceTable;
const indexed = (changes: Change[]): IndexedChange[] => changes.map((c, index) => ({ index, change: c }));

/** The superseded entries without their changes. */
const bare = (superseded: readonly { index: number; outcome: string }[]) => superseded.map(({ index, outcome }) => ({ index, outcome }));

describe('collapsePerKey', () => {
  it('keeps the newest change per key, in first-seen order of the keys', () => {
    const result = collapsePerKey(
      indexed([
        change({ pk: '{"id":"a"}', version: 2, eventId: 'a2' }),
        change({ pk: '{"id":"b"}', version: 1, eventId: 'b1' }),
        change({ pk: '{"id":"a"}', version: 3, eventId: 'a3' }),
        change({ pk: '{"id":"a"}', version: 1, eventId: 'a1' }),
      ]),
      byTable,
    );
    expect(result.winners.map((w) => [w.index, w.change.eventId])).toEqual([
      [2, 'a3'],
      [1, 'b1'],
    ]);
    expect(bare(result.superseded)).toEqual([
      { index: 0, outcome: 'stale' },
      { index: 3, outcome: 'stale' },
    ]);
  });

  it('marks a redelivered copy of the winner as a duplicate', () => {
    const insert = change({ eventId: 'same', version: 5 });
    const result = collapsePerKey(indexed([insert, { ...insert }, change({ eventId: 'older', version: 4 })]), byTable);
    expect(result.winners.map((w) => w.index)).toEqual([0]);
    expect(bare(result.superseded)).toEqual([
      { index: 1, outcome: 'duplicate' },
      { index: 2, outcome: 'stale' },
    ]);
  });

  it('keeps the same key in different target tables apart', () => {
    const result = collapsePerKey(indexed([change({ sourceTable: 'one' }), change({ sourceTable: 'two' })]), byTable);
    expect(result.winners).toHaveLength(2);
    expect(bare(result.superseded)).toEqual([]);
  });

  it('collapses two source tables that map to the same target', () => {
    const result = collapsePerKey(
      indexed([change({ sourceTable: 'one', version: 2, eventId: 'x' }), change({ sourceTable: 'two', version: 1, eventId: 'y' })]),
      () => 'shared',
    );
    expect(result.winners.map((w) => w.index)).toEqual([0]);
    expect(bare(result.superseded)).toEqual([{ index: 1, outcome: 'stale' }]);
  });

  it('breaks version ties by SequenceNumber as a number', () => {
    const result = collapsePerKey(
      indexed([change({ version: 7, sequence: '100', eventId: 'late' }), change({ version: 7, sequence: '99', eventId: 'early' })]),
      byTable,
    );
    expect(result.winners.map((w) => w.change.eventId)).toEqual(['late']);
  });

  it('returns nothing for nothing', () => {
    expect(collapsePerKey([], byTable)).toEqual({ winners: [], superseded: [] });
  });

  it('keeps, for each key, exactly the maximum by compareChanges, in any input order', () => {
    const arbitraryChange = fc
      .record({
        sourceTable: fc.constantFrom('t1', 't2'),
        pk: fc.constantFrom('{"id":"a"}', '{"id":"b"}', '{"id":1}'),
        version: fc.integer({ min: 1, max: 4 }),
        sequence: fc.option(fc.constantFrom('9', '10', '11'), { nil: null }),
        eventId: fc.constantFrom('e1', 'e2', 'e3'),
      })
      .map((fields) => change(fields));
    const inputs = fc
      .array(arbitraryChange, { maxLength: 30 })
      .chain((changes) => fc.tuple(fc.constant(indexed(changes)), fc.shuffledSubarray(indexed(changes), { minLength: changes.length })));

    fc.assert(
      fc.property(inputs, ([original, shuffled]) => {
        const slot = (c: Change) => `${c.sourceTable} ${c.pk}`;
        const result = collapsePerKey(shuffled, byTable);

        // One winner per key, and it is no smaller than any change with that key.
        const winnerSlots = result.winners.map((w) => slot(w.change));
        expect(new Set(winnerSlots).size).toBe(winnerSlots.length);
        expect(new Set(winnerSlots)).toEqual(new Set(original.map((e) => slot(e.change))));
        for (const winner of result.winners) {
          for (const other of original.filter((e) => slot(e.change) === slot(winner.change))) {
            expect(compareChanges(winner.change, other.change)).toBeGreaterThanOrEqual(0);
          }
        }

        // Every input is either a winner or superseded, never both.
        const settled = [...result.winners.map((w) => w.index), ...result.superseded.map((s) => s.index)].sort((a, b) => a - b);
        expect(settled).toEqual(original.map((e) => e.index));

        // The winners do not depend on the order: same as for the original order, up to equal copies.
        const reference = collapsePerKey(original, byTable).winners;
        expect(new Map(result.winners.map((w) => [slot(w.change), w.change]))).toEqual(new Map(reference.map((w) => [slot(w.change), w.change])));
      }),
    );
  });
});
