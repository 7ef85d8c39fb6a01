import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config/config.js';
import { decodeFirehoseBody } from '../src/decode/firehose-body.js';
import { createSink } from '../src/sink/create-sink.js';
import { translate } from '../src/translate/translate.js';
import { unclaimedTargets } from '../src/translate/target-name.js';
import type { WriteBatch } from '../src/translate/write-batch.js';
import { deliveryOf, gzipped, type Delivery, type ItemShape } from './generate.js';
import { median } from './median.js';
import { postAllTimed, runConcurrently, startService } from './service-process.js';
import { changeBounds } from '../src/decode/change-bounds.js';

/** Where the end-to-end figures are written: the PostgreSQL server, or the embedded database. */
export type Target = { kind: 'postgres'; url: string } | { kind: 'pglite' };

export interface ThroughputFigures {
  readonly target: Target['kind'];
  readonly shape: ItemShape;
  readonly records: number;
  /** Rounds of service and floor, back to back; each figure below is the median of the rounds'. */
  readonly rounds: number;
  readonly servicePerSecond: number;
  /** The same deliveries again (Firehose retries): every record a duplicate. */
  readonly redeliveryPerSecond: number;
  readonly floorPerSecond: number;
  readonly ratio: number;
  /** Each round's service against its floor. */
  readonly ratios: readonly number[];
  /** The service's CPU during the first pass, in cores (1 = one core busy throughout). */
  readonly serviceCores: number;
  /**
   * Records of the first pass per second of the service's CPU (user + system, all its threads,
   * from /proc): what the service costs per record, whatever else the machine's cores are doing.
   */
  readonly perServiceCpuSecond: number;
}

export interface LatencyFigures {
  readonly sizeMiB: number;
  readonly concurrency: number;
  readonly deliveries: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const MiB = 1024 * 1024;
const CONCURRENCY = 2;

function sinkEnv(target: Target, schema: string): Record<string, string> {
  return target.kind === 'postgres' ? { SINK_URL: target.url, TARGET_SCHEMA: schema } : { PGLITE_DIR: 'memory://', TARGET_SCHEMA: schema };
}

export async function dropSchema(target: Target, schema: string): Promise<void> {
  if (target.kind !== 'postgres') return;
  const client = new pg.Client({ connectionString: target.url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

/** The rows the service would write for a delivery, translated outside any timing. */
export function batchOf(delivery: Delivery): WriteBatch {
  const parsed = decodeFirehoseBody(delivery.body, changeBounds(Date.now(), 24 * 3600));
  if (!parsed.ok) throw new Error(parsed.error);
  return translate(parsed.body.decoded, { requestId: parsed.body.requestId, source: 'bench', changeLog: false, targetOf: unclaimedTargets(new Map()) }).batch;
}

/**
 * (b) Firehose deliveries over HTTP into the service, against the floor: the same final rows
 * written by the sink's own bulk upsert from this process, with no HTTP, decode or translate.
 * Both at the same concurrency, each into a fresh schema. `rounds` rounds, each timing the service
 * and the floor back to back (in turn first, so that neither always meets the server just after
 * the other's writes); the figures are the medians of the rounds' (the ratio: of the rounds'
 * ratios), since a single pass of a few seconds moves by a fifth on a shared machine.
 */
export async function benchThroughput(
  target: Target,
  shape: ItemShape,
  deliveries: number,
  recordsPerDelivery: number,
  serviceEnv: Record<string, string> = {},
  rounds = 1,
): Promise<ThroughputFigures> {
  const plan = Array.from({ length: deliveries + 1 }, (_, i) => deliveryOf(shape, i * recordsPerDelivery, Infinity, recordsPerDelivery));
  const [warm, ...timed] = plan;
  const records = timed.reduce((n, d) => n + d.records, 0);
  const batches = timed.map(batchOf);
  const warmBatch = batchOf(warm!);

  const servicePass = async (again: boolean) => {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const service = await startService({ ...sinkEnv(target, schema), ...serviceEnv });
    try {
      await service.post(warm!.body, warm!.requestId, false); // creates the table
      const first = await postAllTimed(service, timed, CONCURRENCY);
      const redelivery = again ? await postAllTimed(service, timed, CONCURRENCY) : undefined;
      return { first, redelivery };
    } finally {
      await service.stop();
      await dropSchema(target, schema);
    }
  };
  const floorPass = async () => {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const loaded = loadConfig({ ...sinkEnv(target, schema), SINK_POOL_SIZE: String(CONCURRENCY), LOG_LEVEL: 'silent' });
    if (!loaded.ok) throw new Error(loaded.problems.join('; '));
    const sink = await createSink(loaded.config.sink, pino({ level: 'silent' }));
    try {
      await sink.write(warmBatch);
      const started = performance.now();
      await runConcurrently(
        batches.map((b) => async () => {
          const result = await sink.write(b);
          if (!result.ok) throw result.error;
        }),
        CONCURRENCY,
      );
      return records / ((performance.now() - started) / 1000);
    } finally {
      await sink.close();
      await dropSchema(target, schema);
    }
  };

  const passes: { servicePerSecond: number; floorPerSecond: number; cores: number; perCpuSecond: number }[] = [];
  let redeliveryPerSecond = NaN;
  for (let round = 0; round < rounds; round++) {
    const floorFirst = round % 2 === 1;
    const floorBefore = floorFirst ? await floorPass() : 0;
    const { first, redelivery } = await servicePass(round === 0);
    const floorPerSecond = floorFirst ? floorBefore : await floorPass();
    if (redelivery) redeliveryPerSecond = records / redelivery.seconds;
    passes.push({ servicePerSecond: records / first.seconds, floorPerSecond, cores: first.cores, perCpuSecond: records / first.cpuSeconds });
  }
  return {
    target: target.kind,
    shape,
    records,
    rounds,
    servicePerSecond: median(passes.map((p) => p.servicePerSecond)),
    redeliveryPerSecond,
    floorPerSecond: median(passes.map((p) => p.floorPerSecond)),
    ratio: median(passes.map((p) => p.servicePerSecond / p.floorPerSecond)),
    ratios: passes.map((p) => p.servicePerSecond / p.floorPerSecond),
    serviceCores: median(passes.map((p) => p.cores)),
    perServiceCpuSecond: median(passes.map((p) => p.perCpuSecond)),
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** (c) Per-delivery latency of gzip deliveries of a given (uncompressed) size. */
export async function benchLatency(
  target: Target,
  sizesMiB: readonly number[],
  concurrencies: readonly number[],
  deliveries: (sizeMiB: number) => number,
): Promise<LatencyFigures[]> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const service = await startService(sinkEnv(target, schema));
  const figures: LatencyFigures[] = [];
  let from = 0;
  try {
    for (const sizeMiB of sizesMiB) {
      for (const concurrency of concurrencies) {
        const count = deliveries(sizeMiB);
        const plan = Array.from({ length: count + concurrency }, () => {
          const d = deliveryOf('sensor', from, sizeMiB * MiB);
          from += d.records;
          return { d, body: gzipped(d) };
        });
        // The first round warms up (table creation, JIT) and is not counted.
        const warm = plan.splice(0, concurrency);
        await runConcurrently(
          warm.map(
            ({ d, body }) =>
              () =>
                service.post(body, d.requestId, true),
          ),
          concurrency,
        );
        const results = await runConcurrently(
          plan.map(
            ({ d, body }) =>
              () =>
                service.post(body, d.requestId, true),
          ),
          concurrency,
        );
        if (results.some((r) => r.status !== 200)) throw new Error(`a ${sizeMiB} MiB delivery failed`);
        const ms = results.map((r) => r.ms).sort((a, b) => a - b);
        figures.push({ sizeMiB, concurrency, deliveries: count, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) });
      }
    }
  } finally {
    await service.stop();
    await dropSchema(target, schema);
  }
  return figures;
}

/** (d) Peak resident memory of the service with `inFlight` deliveries of `sizeMiB` at once. */
export async function benchPeakRss(
  target: Target,
  sizeMiB: number,
  inFlight: number,
): Promise<{ sizeMiB: number; inFlight: number; idleRssBytes: number; peakRssBytes: number; statuses: number[] }> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const plan = Array.from({ length: inFlight }, (_, i) => {
    // 10,000 wide records of about sizeMiB / 10,000 each (base64 is 4/3 of the JSON).
    const notes = Math.max(200, Math.floor(((sizeMiB * MiB) / 10_000) * 0.75) - 1900);
    const d = deliveryOf('wide', i * 10_000, sizeMiB * MiB, 10_000, notes);
    return { d, body: gzipped(d) };
  });
  const service = await startService(sinkEnv(target, schema));
  try {
    const idleRssBytes = service.peakRss();
    const results = await runConcurrently(
      plan.map(
        ({ d, body }) =>
          () =>
            service.post(body, d.requestId, true),
      ),
      inFlight,
    );
    return { sizeMiB, inFlight, idleRssBytes, peakRssBytes: service.peakRss(), statuses: results.map((r) => r.status) };
  } finally {
    await service.stop();
    await dropSchema(target, schema);
  }
}
