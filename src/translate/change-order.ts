import type { Change } from '../decode/change.js';

/**
 * Last writer wins by (version, then SequenceNumber as a number, then eventID). The same order is
 * applied in the database's version gate, so collapsing first never changes the outcome.
 */
export function compareChanges(a: Change, b: Change): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  const seq = compareSequences(a.sequence, b.sequence);
  if (seq !== 0) return seq;
  return compareEventIds(a.eventId, b.eventId);
}

/** By UTF-8 bytes, as the database compares them under the C collation. */
function compareEventIds(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Canonical digit strings compare as numbers by length first; a missing one sorts lowest. */
function compareSequences(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : 1;
}
