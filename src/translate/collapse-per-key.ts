import type { Change } from '../decode/change.js';
import { compareChanges } from './change-order.js';

export interface IndexedChange {
  readonly index: number;
  readonly change: Change;
}

export interface Collapsed {
  /** The newest change per (target table, pk): tables in first-seen order, keys in first-seen order within each. */
  readonly winners: IndexedChange[];
  /** Changes superseded inside the delivery: `duplicate` when the winner is the same event. */
  readonly superseded: (IndexedChange & { outcome: 'stale' | 'duplicate' })[];
}

/** Keeps the last writer per key so that each key is written once per delivery. */
export function collapsePerKey(changes: readonly IndexedChange[], targetOf: (c: Change) => string): Collapsed {
  // Per table, then per pk: no composite key string to build and hash for every record.
  const newest = new Map<string, Map<string, IndexedChange>>();
  const losers: IndexedChange[] = [];
  for (const entry of changes) {
    const target = targetOf(entry.change);
    let byPk = newest.get(target);
    if (byPk === undefined) newest.set(target, (byPk = new Map()));
    const current = byPk.get(entry.change.pk);
    if (current === undefined) {
      byPk.set(entry.change.pk, entry);
    } else if (compareChanges(entry.change, current.change) > 0) {
      byPk.set(entry.change.pk, entry);
      losers.push(current);
    } else {
      losers.push(entry);
    }
  }
  const superseded = losers.map((loser) => {
    const winner = newest.get(targetOf(loser.change))!.get(loser.change.pk)!;
    const same = winner.change.eventId === loser.change.eventId && winner.change.version === loser.change.version;
    return { ...loser, outcome: same ? ('duplicate' as const) : ('stale' as const) };
  });
  const winners: IndexedChange[] = [];
  for (const byPk of newest.values()) for (const entry of byPk.values()) winners.push(entry);
  return { winners, superseded };
}
