import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { deliveryOf } from './generate.js';
import { postAllTimed, startService } from './service-process.js';

/**
 * `node dist-bench/bench/profile.js`: the service under the (b) load into PostgreSQL (or, with
 * PROFILE_TARGET=pglite, the embedded database), run with `node --cpu-prof`, and where its CPU
 * went: self time grouped into the parts README's Performance section names, then the top
 * functions, counting only the samples taken while the timed deliveries ran. The profile itself stays in bench-results/profile-<time>/ for Chrome's DevTools.
 */
interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Microseconds on the monotonic clock, which V8 also stamps a profile's samples with. */
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

const postgresUrl = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const target = process.env.PROFILE_TARGET ?? 'postgres';
const deliveries = Number(process.env.PROFILE_DELIVERIES ?? 30);
const dir = join('bench-results', `profile-${Date.now()}`);
mkdirSync(dir, { recursive: true });

const schema = `profile_${Date.now().toString(36)}`;
const env: Record<string, string> = target === 'pglite' ? { PGLITE_DIR: 'memory://', TARGET_SCHEMA: schema } : { SINK_URL: postgresUrl, TARGET_SCHEMA: schema };
const plan = Array.from({ length: deliveries + 1 }, (_, i) => deliveryOf('sensor', i * 5_000, Infinity, 5_000));
const [warm, ...timed] = plan;
const service = await startService({ ...env, ...(process.env.PROFILE_ENV ? (JSON.parse(process.env.PROFILE_ENV) as Record<string, string>) : {}) }, [
  '--cpu-prof',
  `--cpu-prof-dir=${dir}`,
]);
let figures: { seconds: number; cpuSeconds: number; cores: number };
// Only the samples of the timed deliveries are counted: not start-up (loading modules), not the warm-up.
const window = { from: 0, to: 0 };
try {
  await service.post(warm!.body, warm!.requestId, false);
  window.from = monotonicMicros();
  figures = await postAllTimed(service, timed, 2);
  window.to = monotonicMicros();
} finally {
  await service.stop();
  if (target !== 'pglite') {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}
const records = timed.reduce((n, d) => n + d.records, 0);
console.log(
  `${target}: ${Math.round(records / figures.seconds)} rec/s, ${Math.round(records / figures.cpuSeconds)} rec per service CPU-second (${figures.cores.toFixed(2)} cores)`,
);

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written to ${dir}`);
console.log(summarize(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile));
console.log(`\nprofile: ${join(dir, file)}`);

/** The part of the service a function belongs to, by where it is defined. */
function partOf(frame: ProfileNode['callFrame']): string {
  const { functionName: name, url } = frame;
  if (name === '(garbage collector)') return 'garbage collection';
  if (name === '(idle)' || name === '(program)') return name;
  if (name === 'parse' && url === '') return 'JSON.parse';
  const src = /\/dist\/(.*)\.js$/.exec(url)?.[1];
  if (src) {
    if (src.startsWith('decode/')) return 'decode';
    if (src.startsWith('translate/collapse')) return 'collapse per key';
    if (src.startsWith('translate/')) return 'translate';
    if (src.startsWith('sink/')) return 'sink (statement parameters)';
    return `service: ${src.split('/')[0]}`;
  }
  if (/node_modules\/(pg|pg-protocol|pg-pool|pg-types)\//.test(url)) return 'pg client';
  if (/node_modules\/(hono|@hono)\//.test(url)) return 'HTTP (hono)';
  if (/node_modules\/(prom-client|pino)\//.test(url)) return 'metrics and logs';
  if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
  return url === '' ? `native: ${name || '(anonymous)'}` : 'other';
}

function summarize(profile: CpuProfile): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= window.from && at <= window.to) self.set(id, (self.get(id) ?? 0) + delta);
  });
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of self) {
    const frame = byId.get(id)!.callFrame;
    const part = partOf(frame);
    if (part === '(idle)') continue;
    busy += micros;
    parts.set(part, (parts.get(part) ?? 0) + micros);
    const where = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(dist|node_modules)\//, '')}:${frame.lineNumber + 1}`;
    functions.set(where, (functions.get(where) ?? 0) + micros);
  }
  const pct = (m: number) => `${((100 * m) / busy).toFixed(1).padStart(5)}%`;
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${pct(v)}  ${k}`);
  return [
    `busy ${(busy / 1e6).toFixed(1)} s of the main thread during the timed deliveries; by part:`,
    ...top(parts, 20),
    'top functions (self time):',
    ...top(functions, 30),
  ].join('\n');
}
