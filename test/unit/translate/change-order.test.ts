import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareChanges } from '../../../src/translate/change-order.js';
import { change } from '../../support/changes.js';

const sign = (n: number) => (n > 0 ? 1 : n < 0 ? -1 : 0);

describe('compareChanges', () => {
  it('orders by version first', () => {
    const older = change({ version: 1, sequence: '999', eventId: 'z' });
    const newer = change({ version: 2, sequence: '1', eventId: 'a' });
    expect(compareChanges(older, newer)).toBe(-1);
    expect(compareChanges(newer, older)).toBe(1);
  });

  it('then by SequenceNumber as a number, not as text', () => {
    const nine = change({ sequence: '99', eventId: 'z' });
    const hundred = change({ sequence: '100', eventId: 'a' });
    expect(compareChanges(nine, hundred)).toBe(-1);
    const long = change({ sequence: '4421584500000000017450439092' });
    const longer = change({ sequence: '4421584500000000017450439091' });
    expect(compareChanges(long, longer)).toBe(1);
  });

  it('puts a missing SequenceNumber first', () => {
    expect(compareChanges(change({ sequence: null, eventId: 'z' }), change({ sequence: '0', eventId: 'a' }))).toBe(-1);
    expect(compareChanges(change({ sequence: '0', eventId: 'a' }), change({ sequence: null, eventId: 'z' }))).toBe(1);
  });

  it('then by eventID in UTF-8 byte order, as the database compares text under the C collation', () => {
    expect(compareChanges(change({ eventId: 'a' }), change({ eventId: 'b' }))).toBe(-1);
    expect(compareChanges(change({ eventId: 'B' }), change({ eventId: 'a' }))).toBe(-1);
    // UTF-16 order puts U+10000 (a surrogate pair, 0xD800…) before U+FFFF; UTF-8 order puts it after.
    expect('\u{10000}' < '\uFFFF').toBe(true);
    expect(compareChanges(change({ eventId: '\uFFFF' }), change({ eventId: '\u{10000}' }))).toBe(-1);
  });

  it('calls a change equal to itself or to its duplicate', () => {
    const original = change({ sequence: '5' });
    expect(compareChanges(original, original)).toBe(0);
    expect(compareChanges(original, { ...original, newImageJson: '{}' })).toBe(0);
  });

  it('is a total order: antisymmetric and transitive', () => {
    const arbitrary = fc
      .record({
        version: fc.integer({ min: 0, max: 3 }),
        sequence: fc.option(fc.constantFrom('0', '9', '10', '99', '100', '101'), { nil: null }),
        eventId: fc.constantFrom('a', 'b', 'B', 'é', '\uFFFF', '\u{10000}'),
      })
      .map((fields) => change(fields));
    fc.assert(
      fc.property(arbitrary, arbitrary, arbitrary, (a, b, c) => {
        expect(sign(compareChanges(a, b))).toBe(-sign(compareChanges(b, a)) || 0);
        if (compareChanges(a, b) <= 0 && compareChanges(b, c) <= 0) expect(compareChanges(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });
});
