import type { Change } from '../../src/decode/change.js';

/** A decoded Change for tests of the translate step; only what a test names differs from the defaults. */
export function change(overrides: Partial<Change> = {}): Change {
  const pk = overrides.pk ?? '{"id":"a"}';
  return {
    format: 'kinesis',
    sourceTable: 'items',
    eventId: 'event-1',
    eventName: 'INSERT',
    ttl: false,
    version: 1_720_740_233_012_995,
    sequence: null,
    pk,
    keysJson: pk,
    newImageJson: overrides.eventName === 'REMOVE' ? null : `{"v":1,${pk.slice(1)}`,
    oldImageJson: null,
    ...overrides,
  };
}
