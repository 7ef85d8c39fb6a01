import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * Realistic Firehose deliveries for the benchmarks: Kinesis-for-DynamoDB records shaped like the
 * real seed records (small sensor readings), or wide items with nested maps, lists and sets.
 */
export type ItemShape = 'sensor' | 'wide';

export interface Delivery {
  readonly requestId: string;
  /** The JSON body, uncompressed. */
  readonly body: Buffer;
  readonly records: number;
}

const BASE_MICROS = 1_720_740_233_012_995;

function sensorImage(n: number): Record<string, unknown> {
  return {
    device: { S: `device-${n % 5000}` },
    timestamp: { S: `2024-07-12T01:17:${String(n % 60).padStart(2, '0')}.${n}` },
    temperature: { N: (20 + (n % 2500) / 100).toFixed(2) },
    humidity: { N: (40 + (n % 5000) / 100).toFixed(2) },
  };
}

function wideImage(n: number, notes: number): Record<string, unknown> {
  const readings = Array.from({ length: 12 }, (_, i) => ({
    M: { at: { N: String(1_720_000_000 + i) }, value: { N: `${i}.${n % 97}` }, ok: { BOOL: i % 3 !== 0 } },
  }));
  return {
    ...sensorImage(n),
    site: {
      M: { name: { S: `site ${n % 40}` }, geo: { M: { lat: { N: '52.5200' }, lon: { N: '13.4050' } } }, tags: { SS: ['north', 'cold', `rack-${n % 9}`] } },
    },
    readings: { L: readings },
    firmware: { S: `v${n % 7}.${n % 13}.${n % 5}` },
    counters: { NS: ['1', '2', String(n)] },
    blob: { B: Buffer.from(Buffer.from(`payload-${n}`).toString('base64')).toString('base64') },
    notes: { S: 'x'.repeat(notes) },
  };
}

/**
 * One Kinesis-for-DynamoDB record; keys (device, timestamp) are unique per `n`. `modified`: a
 * later MODIFY of the same item, another humidity.
 */
export function cdcRecord(shape: ItemShape, n: number, notes = 200, modified = false): Record<string, unknown> {
  const image = shape === 'sensor' ? sensorImage(n) : wideImage(n, notes);
  if (modified) image.humidity = { N: (41 + (n % 5000) / 100).toFixed(2) };
  return {
    awsRegion: 'us-east-1',
    eventID: randomUUID(),
    eventName: modified ? 'MODIFY' : 'INSERT',
    userIdentity: null,
    recordFormat: 'application/json',
    tableName: `bench-${shape}`,
    dynamodb: {
      ApproximateCreationDateTime: BASE_MICROS + n + (modified ? 1_000_000_000 : 0),
      ApproximateCreationDateTimePrecision: 'MICROSECOND',
      Keys: { device: image.device, timestamp: image.timestamp },
      NewImage: image,
      SizeBytes: 120,
    },
    eventSource: 'aws:dynamodb',
  };
}

/**
 * A delivery of records `from`, `from + 1`, … until it reaches `bytes` or `maxRecords`. Firehose
 * sends at most 10,000 records, so a 64 MiB delivery needs wide items with long `notes`.
 */
export function deliveryOf(shape: ItemShape, from: number, bytes: number, maxRecords = 10_000, notes = 200, modified = false): Delivery {
  const data: string[] = [];
  let size = 64;
  for (let n = from; size < bytes && data.length < maxRecords; n++) {
    const encoded = Buffer.from(JSON.stringify(cdcRecord(shape, n, notes, modified))).toString('base64');
    data.push(encoded);
    size += encoded.length + 12;
  }
  const requestId = randomUUID();
  const body = Buffer.from(JSON.stringify({ requestId, timestamp: Date.now(), records: data.map((d) => ({ data: d })) }));
  return { requestId, body, records: data.length };
}

export function gzipped(delivery: Delivery): Buffer {
  return gzipSync(delivery.body, { level: 6 });
}
