import type { Change } from '../decode/change.js';
import { compareChanges } from './change-order.js';

export interface IndexedChange {
  readonly index: number;
  readonly change: Change;
}

export interface Collapsed {
  /** The newest change per (target table, pk), in first-seen order. */
  readonly winners: IndexedChange[];
  /** Changes superseded inside the delivery: `duplicate` when the winner is the same event. */
  readonly superseded: { index: number; outcome: 'stale' | 'duplicate' }[];
}

/** Keeps the last writer per key so that each key is written once per delivery. */
export function collapsePerKey(changes: readonly IndexedChange[], targetOf: (c: Change) => string): Collapsed {
  const newest = new Map<string, IndexedChange>();
  const losers: IndexedChange[] = [];
  for (const entry of changes) {
    const slot = `${targetOf(entry.change)}\u0000${entry.change.pk}`;
    const current = newest.get(slot);
    if (current === undefined) {
      newest.set(slot, entry);
    } else if (compareChanges(entry.change, current.change) > 0) {
      newest.set(slot, entry);
      losers.push(current);
    } else {
      losers.push(entry);
    }
  }
  const winnerBySlot = newest;
  const superseded = losers.map((loser) => {
    const winner = winnerBySlot.get(`${targetOf(loser.change)}\u0000${loser.change.pk}`)!;
    const same = winner.change.eventId === loser.change.eventId && winner.change.version === loser.change.version;
    return { index: loser.index, outcome: same ? ('duplicate' as const) : ('stale' as const) };
  });
  return { winners: [...newest.values()], superseded };
}
