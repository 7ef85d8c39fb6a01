import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../src/config/config.js';
import { createSink } from '../src/sink/create-sink.js';
import type { WriteBatch } from '../src/translate/write-batch.js';
import { batchOf, dropSchema } from './e2e-bench.js';
import { deliveryOf } from './generate.js';
import { runConcurrently } from './service-process.js';

/**
 * `node dist-bench/bench/sink-cpu.js`: what the PostgreSQL sink costs this process per row (its
 * statements' parameters, the client, the answers), as records per second of this process's CPU
 * while it writes already translated deliveries of small items two at a time; the database's
 * own work runs in its processes and is not counted. SINK_CPU_ROUNDS rounds (default 5) of
 * SINK_CPU_DELIVERIES (default 20) deliveries of 5,000, each round into a fresh schema; then the
 * same deliveries again (all duplicates). Prints the median of the rounds.
 */
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const rounds = Number(process.env.SINK_CPU_ROUNDS ?? 5);
const deliveries = Number(process.env.SINK_CPU_DELIVERIES ?? 20);

const plan = Array.from({ length: deliveries + 1 }, (_, i) => deliveryOf('sensor', i * 5_000, Infinity, 5_000));
const [warm, ...timed] = plan.map(batchOf);
const records = timed.reduce((n, b) => n + b.tables.reduce((m, t) => m + t.rows.length, 0), 0);

async function writeAll(sink: Awaited<ReturnType<typeof createSink>>, batches: readonly WriteBatch[]): Promise<number> {
  const before = process.cpuUsage();
  await runConcurrently(
    batches.map((b) => async () => {
      const result = await sink.write(b);
      if (!result.ok) throw result.error;
    }),
    2,
  );
  const used = process.cpuUsage(before);
  return records / ((used.user + used.system) / 1e6);
}

const first: number[] = [];
const again: number[] = [];
for (let round = 0; round < rounds; round++) {
  const schema = `sink_cpu_${randomBytes(4).toString('hex')}`;
  const loaded = loadConfig({ SINK_URL: postgresUrl, TARGET_SCHEMA: schema, SINK_POOL_SIZE: '2', LOG_LEVEL: 'silent' });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const sink = await createSink(loaded.config.sink, pino({ level: 'silent' }));
  try {
    await sink.write(warm!);
    first.push(await writeAll(sink, timed));
    again.push(await writeAll(sink, timed));
  } finally {
    await sink.close();
    await dropSchema({ kind: 'postgres', url: postgresUrl }, schema);
  }
}
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `sink: ${Math.round(median(first))} rows per CPU-second of this process (rounds: ${first.map(Math.round).join(' ')}); again (duplicates): ${Math.round(median(again))}`,
);
