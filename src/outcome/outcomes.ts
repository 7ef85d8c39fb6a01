/**
 * The one vocabulary of what a change does and what became of its record, shared by translate,
 * the sinks, the pipeline, the metrics, /status, /records, the backfill, the Lambda handler and
 * the consumers. A leaf: it imports nothing.
 */

/** What a change does: INSERT, MODIFY, REMOVE, and a REMOVE by DynamoDB's TTL process apart. */
export const OPERATIONS = ['insert', 'modify', 'remove', 'ttl_remove'] as const;
export type Operation = (typeof OPERATIONS)[number];

export function operationOf(change: { readonly eventName: string; readonly ttl: boolean }): Operation {
  if (change.eventName === 'REMOVE') return change.ttl ? 'ttl_remove' : 'remove';
  return change.eventName === 'INSERT' ? 'insert' : 'modify';
}

/**
 * Every record ends in exactly one of these: written (`applied`), older than what the table holds
 * or superseded in its delivery (`stale`), the very change already there (`duplicate`), or stored
 * aside with its reason (`dead_lettered`).
 */
export const RECORD_OUTCOMES = ['applied', 'stale', 'duplicate', 'dead_lettered'] as const;
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number];

/** One record's fate: where it went, what it did, and the change time it carried. */
export interface RecordFate {
  /** Target table; null when the record was dead-lettered before it had one. */
  readonly table: string | null;
  readonly operation: Operation | null;
  readonly outcome: RecordOutcome;
  /** ApproximateCreationDateTime in microseconds (0: unknown). */
  readonly version: number;
}

/** Records counted by outcome, as reports, /status and the backfill spell them. */
export interface OutcomeTally {
  applied: number;
  stale: number;
  duplicate: number;
  deadLettered: number;
}

/** Each outcome's field in a tally. */
export const TALLY_KEYS: Readonly<Record<RecordOutcome, keyof OutcomeTally>> = {
  applied: 'applied',
  stale: 'stale',
  duplicate: 'duplicate',
  dead_lettered: 'deadLettered',
};

export const emptyTally = (): OutcomeTally => ({ applied: 0, stale: 0, duplicate: 0, deadLettered: 0 });

/** Adds `more`'s counts to `into`; returns `into`. */
export function addTally<T extends OutcomeTally>(into: T, more: OutcomeTally): T {
  for (const key of Object.values(TALLY_KEYS)) into[key] += more[key];
  return into;
}

/** The fates counted by outcome. */
export function tallyOf(fates: Iterable<{ readonly outcome: RecordOutcome }>): OutcomeTally {
  const tally = emptyTally();
  for (const fate of fates) tally[TALLY_KEYS[fate.outcome]]++;
  return tally;
}
