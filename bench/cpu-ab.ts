import { dropSchema } from './e2e-bench.js';
import { deliveryOf } from './generate.js';
import { median } from './median.js';
import { postAllTimed, startService } from './service-process.js';

/**
 * `node dist-bench/bench/cpu-ab.js`: records per second of the service's CPU under the (b) load
 * into PostgreSQL, for several builds of the service in turn, round after round, so that each
 * pair is measured back to back in one state of a shared machine. AB_MAINS lists the entry
 * points (default dist/main.js: a copy of an earlier build's dist/ inside the project, so that
 * it finds node_modules), each optionally after node flags of its own, which follow the start
 * script's and so override them (`--max-semi-space-size=32 dist/main.js`); AB_ROUNDS rounds (default 5), AB_DELIVERIES of 5,000
 * small items each.
 */
const postgresUrl = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const mains = (process.env.AB_MAINS ?? 'dist/main.js').split(',');
const rounds = Number(process.env.AB_ROUNDS ?? 5);
const deliveries = Number(process.env.AB_DELIVERIES ?? 30);

const plan = Array.from({ length: deliveries + 1 }, (_, i) => deliveryOf('sensor', i * 5_000, Infinity, 5_000));
const [warm, ...timed] = plan;
const records = timed.reduce((n, d) => n + d.records, 0);

async function once(entry: string, round: number): Promise<number> {
  const schema = `cpu_ab_${process.pid}_${round}`;
  const words = entry.split(' ').filter((w) => w !== '');
  const service = await startService({ SINK_URL: postgresUrl, TARGET_SCHEMA: schema }, words.slice(0, -1), words.at(-1));
  try {
    await service.post(warm!.body, warm!.requestId, false);
    const { cpuSeconds } = await postAllTimed(service, timed, 2);
    return records / cpuSeconds;
  } finally {
    await service.stop();
    await dropSchema({ kind: 'postgres', url: postgresUrl }, schema);
  }
}

const figures = mains.map(() => [] as number[]);
for (let round = 0; round < rounds; round++) {
  const line: string[] = [];
  for (const [i, main] of mains.entries()) {
    const perCpuSecond = await once(main, round);
    figures[i]!.push(perCpuSecond);
    line.push(`${main} ${Math.round(perCpuSecond)}`);
  }
  console.log(`round ${round + 1}: ${line.join(' | ')} rec per service CPU-second`);
}
for (const [i, main] of mains.entries()) console.log(`${main}: median ${Math.round(median(figures[i]!))} rec per service CPU-second`);
if (mains.length > 1) {
  const ratios = figures[1]!.map((x, r) => x / figures[0]![r]!);
  console.log(`${mains[1]} / ${mains[0]} per round: ${ratios.map((r) => r.toFixed(3)).join(' ')}; median ${median(ratios).toFixed(3)}`);
}
