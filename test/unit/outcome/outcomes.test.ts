import { describe, expect, it } from 'vitest';
import { OUTCOMES } from '../../../src/metrics/metric-definitions.js';
import { addTally, emptyTally, operationOf, RECORD_OUTCOMES, TALLY_KEYS, tallyOf } from '../../../src/outcome/outcomes.js';

describe('the outcome vocabulary', () => {
  it('names each operation', () => {
    expect(operationOf({ eventName: 'INSERT', ttl: false })).toBe('insert');
    expect(operationOf({ eventName: 'MODIFY', ttl: false })).toBe('modify');
    expect(operationOf({ eventName: 'REMOVE', ttl: false })).toBe('remove');
    expect(operationOf({ eventName: 'REMOVE', ttl: true })).toBe('ttl_remove');
  });

  it('counts fates by outcome, and adds tallies', () => {
    const tally = tallyOf(['applied', 'applied', 'stale', 'dead_lettered'].map((outcome) => ({ outcome: outcome as (typeof RECORD_OUTCOMES)[number] })));
    expect(tally).toEqual({ applied: 2, stale: 1, duplicate: 0, deadLettered: 1 });
    expect(addTally({ ...emptyTally(), pages: 3 }, tally)).toEqual({ applied: 2, stale: 1, duplicate: 0, deadLettered: 1, pages: 3 });
  });

  it('is the metrics label set: records only (diverted values have a counter of their own)', () => {
    expect(OUTCOMES).toEqual([...RECORD_OUTCOMES]);
    expect(Object.keys(TALLY_KEYS)).toEqual([...RECORD_OUTCOMES]);
  });
});
