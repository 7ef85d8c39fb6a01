import { encodeRecord } from './firehose.js';

/** A small seeded PRNG (mulberry32), so that a failing delivery plan can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PlannedDelivery {
  readonly endpoint: '/firehose' | '/records';
  readonly gzip: boolean;
  /** Firehose: base64 data strings; /records: parsed records or raw NDJSON lines. */
  readonly records: unknown[];
}

/**
 * Delivers records the way Firehose and Kinesis may: shuffled, some duplicated, split into
 * deliveries of random sizes, gzip or not, with poison records mixed in; some deliveries go
 * through POST /records instead.
 */
export function planDeliveries(records: readonly unknown[], poison: readonly string[], seed: number): PlannedDelivery[] {
  const random = prng(seed);
  const items: { record: unknown; poison: boolean }[] = records.map((record) => ({ record, poison: false }));
  for (const r of records) if (random() < 0.3) items.push({ record: r, poison: false });
  for (const p of poison) items.push({ record: p, poison: true });
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  const deliveries: PlannedDelivery[] = [];
  for (let i = 0; i < items.length; ) {
    const size = 1 + Math.floor(random() * Math.max(1, items.length / 2));
    const slice = items.slice(i, i + size);
    i += size;
    const endpoint = random() < 0.2 ? '/records' : '/firehose';
    deliveries.push({
      endpoint,
      gzip: random() < 0.5,
      records: slice.map(({ record, poison }) => (endpoint === '/firehose' ? (poison ? record : encodeRecord(record)) : poison ? { poison: record } : record)),
    });
  }
  return deliveries;
}
