import type { Histogram, LabelValues } from 'prom-client';

/** Observations of one label set; their buckets are counted here and added to the histogram by `flush`. */
export interface CountedObservations {
  observe(value: number): void;
  flush(): void;
}

/** prom-client's own record of one label set (histogram.js): buckets by upper bound, not cumulative. */
interface Entry {
  readonly labels: Record<string, string | number>;
  readonly bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

interface Internals {
  readonly hashMap: Record<string, Entry>;
  readonly upperBounds: readonly number[];
}

/**
 * A delivery's observations of one histogram series, added at once: `observe` on the histogram
 * costs a label check, a hash of the labels and a closure per value, which for the replication
 * lag of each applied record weighed as much as the rest of a delivery's metrics. prom-client has
 * no call that adds counted observations, so these go to its record of the series (version pinned
 * in package.json): the sum and count as each value comes, in prom-client's order (the same sum to
 * the last bit), the buckets at `flush`. A test holds the exposition to one `observe` per value.
 */
export function countedObservations<L extends string>(histogram: Histogram<L>, labels: LabelValues<L>): CountedObservations {
  const { upperBounds } = histogram as unknown as Internals;
  // Per upper bound; values above the last are counted by `count` alone (the +Inf bucket).
  const counts = new Array<number>(upperBounds.length).fill(0);
  let entry: Entry | undefined;
  return {
    observe(value) {
      // The same test as prom-client's: the first bound at or above the value.
      for (let i = 0; i < upperBounds.length; i++) {
        if (value <= upperBounds[i]!) {
          counts[i]!++;
          break;
        }
      }
      entry ??= entryOf(histogram, labels);
      entry.sum += value;
      entry.count++;
    },
    flush() {
      if (entry === undefined) return;
      for (let i = 0; i < upperBounds.length; i++) entry.bucketValues[upperBounds[i]!]! += counts[i]!;
      counts.fill(0);
    },
  };
}

/** The histogram's record of `labels`, created (and the labels checked) by prom-client if new. */
function entryOf<L extends string>(histogram: Histogram<L>, labels: LabelValues<L>): Entry {
  const find = () => Object.values((histogram as unknown as Internals).hashMap).find((entry) => sameLabels(entry.labels, labels));
  const found = find();
  if (found) return found;
  histogram.zero(labels);
  return find()!;
}

function sameLabels(a: Record<string, string | number>, b: Partial<Record<string, string | number>>): boolean {
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => a[k] === b[k]);
}
