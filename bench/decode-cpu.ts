import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deliveryOf } from './generate.js';
import { START_FLAGS } from './service-process.js';

/**
 * `node dist-bench/bench/decode-cpu.js`: CPU seconds of what the service does to a delivery on its
 * way to PostgreSQL but the write (decode, translate, each row's refusal check, the upsert's rows
 * parameter), for 200,000 small records, for several builds in turn (DECODE_AB_DIRS, default dist:
 * copies of an earlier build's dist/ inside the project), each measured in a process of its own
 * started with `npm start`'s flags, round after round (DECODE_AB_ROUNDS, default 8). Prints each
 * round's times, and for two builds the first's time over the second's (above 1: the second is faster).
 */
type Modules = [
  typeof import('../src/decode/firehose-body.js'),
  typeof import('../src/decode/change-bounds.js'),
  typeof import('../src/translate/translate.js'),
  typeof import('../src/sink/postgres/row-parameters.js'),
];

async function measure(dir: string): Promise<number> {
  const from = (path: string) => import(pathToFileURL(resolve(dir, path)).href);
  const [{ decodeFirehoseBody }, { changeBounds }, { translate }, { checkRow, rowsParameter }] = (await Promise.all([
    from('decode/firehose-body.js'),
    from('decode/change-bounds.js'),
    from('translate/translate.js'),
    from('sink/postgres/row-parameters.js'),
  ])) as Modules;
  const options = { requestId: 'cpu', source: 'firehose', changeLog: false, targetOf: () => ({ ok: true as const, table: 'sensor' }) };
  const run = (body: Buffer) => {
    const decoded = decodeFirehoseBody(body, changeBounds(Date.now(), 60));
    if (!decoded.ok) throw new Error(decoded.error);
    const { rows } = translate(decoded.body.decoded, options).batch.tables[0]!;
    for (const row of rows) checkRow(row, []);
    return rowsParameter(
      'lines',
      rows,
      rows.map((_, i) => i),
      [],
    );
  };
  const plan = Array.from({ length: 10 }, (_, i) => deliveryOf('sensor', i * 5_000, Infinity, 5_000).body);
  for (const body of plan) run(body);
  // Two deliveries' parameters kept at once, as two deliveries in flight would.
  const held: string[] = [];
  const before = process.cpuUsage();
  for (let pass = 0; pass < 4; pass++) {
    for (const body of plan) {
      held.push(run(body));
      if (held.length > 2) held.shift();
    }
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

const dir = process.env.DECODE_CPU_DIR;
if (dir !== undefined) {
  console.log(await measure(dir));
} else {
  const dirs = (process.env.DECODE_AB_DIRS ?? 'dist').split(',');
  const rounds = Number(process.env.DECODE_AB_ROUNDS ?? 8);
  const self = fileURLToPath(import.meta.url);
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const seconds = dirs.map((d) => {
      const child = spawnSync(process.execPath, [...START_FLAGS, self], { env: { ...process.env, DECODE_CPU_DIR: d }, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`${d}: ${child.stderr}`);
      return Number(child.stdout.trim());
    });
    if (seconds.length > 1) ratios.push(seconds[0]! / seconds[1]!);
    console.log(
      `round ${round + 1}: ${dirs.map((d, i) => `${d} ${seconds[i]!.toFixed(3)} s`).join(' | ')}${seconds.length > 1 ? `; ${ratios.at(-1)!.toFixed(3)}` : ''}`,
    );
  }
  if (ratios.length > 0) {
    const sorted = [...ratios].sort((a, b) => a - b);
    const ahead = ratios.filter((r) => r > 1).length;
    console.log(
      `${dirs[0]} / ${dirs[1]} time: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(3)}, ${sorted[0]!.toFixed(3)} to ${sorted.at(-1)!.toFixed(3)}, ${ahead} of ${ratios.length} rounds above 1`,
    );
  }
}
