import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backfillStartMicros, backfillVersion } from '../../../src/backfill/backfill-version.js';
import { decodeCdcRecord } from '../../../src/decode/cdc-record.js';
import { fixture } from '../../support/fixtures.js';

// Run starts from 2001 to 2200, in microseconds.
const runStart = fc.integer({ min: 978_307_200_000_000, max: 7_258_118_400_000_000 });

describe('backfillVersion', () => {
  it('is below every version a stream record can carry, whatever the clocks', () => {
    // The smallest stream versions there are: a Streams record without a timestamp (0), and
    // epoch-zero Kinesis timestamps in either precision.
    const streams = fixture('streams/lambda-event.json').Records[0];
    delete streams.dynamodb.ApproximateCreationDateTime;
    const lowest = [decodeCdcRecord(streams).version];
    for (const [value, precision] of [
      [1, 'MILLISECOND'],
      [1, 'MICROSECOND'],
    ] as const) {
      const record = fixture('kinesis/seed-insert.json');
      record.dynamodb.ApproximateCreationDateTime = value;
      record.dynamodb.ApproximateCreationDateTimePrecision = precision;
      lowest.push(decodeCdcRecord(record).version);
    }
    expect(lowest).toEqual([0, 1000, 1]);
    fc.assert(
      fc.property(runStart, (start) => {
        const version = backfillVersion(start);
        expect(Number.isSafeInteger(version)).toBe(true);
        for (const v of lowest) expect(version).toBeLessThan(v);
      }),
    );
  });

  it('orders runs by their start, and keeps the start readable', () => {
    fc.assert(
      fc.property(runStart, runStart, (a, b) => {
        expect(Math.sign(backfillVersion(a) - backfillVersion(b))).toBe(Math.sign(a - b));
        expect(backfillStartMicros(backfillVersion(a))).toBe(a);
      }),
    );
    expect(backfillStartMicros(1_720_740_233_012_995)).toBeNull();
  });

  it('refuses a start that is not a time in microseconds', () => {
    for (const bad of [0, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.NaN]) expect(() => backfillVersion(bad)).toThrow(RangeError);
  });
});
