import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { countedObservations } from '../../../src/metrics/counted-observations.js';

const BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60];

function histogram(): { registry: Registry; lag: Histogram<'table'> } {
  const registry = new Registry();
  const lag = new Histogram({ name: 'lag_seconds', help: 'lag', labelNames: ['table'], buckets: BUCKETS, registers: [registry] });
  return { registry, lag };
}

const value = fc.oneof(fc.constantFrom(0, ...BUCKETS, 1e6), fc.double({ min: 0, max: 100, noNaN: true }));
const deliveries = fc.array(fc.array(fc.record({ table: fc.constantFrom('a', 'b', 'c'), value }), { maxLength: 30 }), { maxLength: 5 });

describe('countedObservations', () => {
  it('exposes what one observe per value does, delivery after delivery, tables old and new', async () => {
    await fc.assert(
      fc.asyncProperty(deliveries, async (plan) => {
        const each = histogram();
        const counted = histogram();
        for (const delivery of plan) {
          const tallies = new Map<string, ReturnType<typeof countedObservations>>();
          for (const { table, value } of delivery) {
            each.lag.observe({ table }, value);
            let tally = tallies.get(table);
            if (!tally) tallies.set(table, (tally = countedObservations(counted.lag, { table })));
            tally.observe(value);
          }
          for (const tally of tallies.values()) tally.flush();
        }
        expect(await counted.registry.metrics()).toBe(await each.registry.metrics());
      }),
    );
  });

  it('adds nothing on a flush without observations, nor twice on a second flush', async () => {
    const each = histogram();
    const counted = histogram();
    const tally = countedObservations(counted.lag, { table: 'a' });
    tally.flush();
    expect(await counted.registry.metrics()).toBe(await each.registry.metrics());
    tally.observe(3);
    each.lag.observe({ table: 'a' }, 3);
    tally.flush();
    tally.flush();
    expect(await counted.registry.metrics()).toBe(await each.registry.metrics());
  });
});
