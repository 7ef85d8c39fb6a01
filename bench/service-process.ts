import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Pool } from 'undici';

/** The built service (`dist/main.js`) as its own process, as `npm start` runs it in production. */
export interface ServiceProcess {
  readonly url: string;
  readonly pid: number;
  /** POSTs a Firehose delivery; resolves with the status and the milliseconds it took. */
  post(body: Buffer, requestId: string, gzip: boolean): Promise<{ status: number; ms: number }>;
  /** Peak resident memory of the process so far (VmHWM), in bytes. */
  peakRss(): number;
  /** CPU time the process has used so far (user + system, all its threads), in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export const BENCH_KEY = 'bench-key';
// `npm run bench` runs from the project's root, after `npm run build`: what `npm start` runs,
// with its runtime flags.
const START = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');
/** The runtime flags `npm start` gives node. */
export const START_FLAGS = START.slice(1, -1);
const NODE_ARGS = [...START_FLAGS, resolve(START.at(-1)!)];

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * `nodeFlags` go after the start script's own, so that they override them (bench/profile.ts passes
 * `--cpu-prof`); `main` replaces the built service's entry point (bench/cpu-ab.ts runs a copy of
 * another build).
 */
export async function startService(env: Record<string, string>, nodeFlags: readonly string[] = [], main?: string): Promise<ServiceProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...NODE_ARGS.slice(0, -1), ...nodeFlags, main === undefined ? NODE_ARGS.at(-1)! : resolve(main)], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ACCESS_KEY: BENCH_KEY, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // Idle connections are let go after a second, well before the service's keep-alive timeout
  // (5 s): on a busy machine a POST sent on a connection the service was just closing failed the
  // whole run ("other side closed").
  const pool = new Pool(url, { connections: 8, headersTimeout: 180_000, bodyTimeout: 180_000, keepAliveTimeout: 1000, keepAliveMaxTimeout: 1000 });
  for (let i = 0; ; i++) {
    try {
      const r = await pool.request({ method: 'GET', path: '/readyz' });
      await r.body.dump();
      if (r.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (i > 300 || child.exitCode !== null) throw new Error('the service did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    async post(body, requestId, gzip) {
      const started = performance.now();
      const send = () =>
        pool.request({
          method: 'POST',
          path: '/firehose',
          headers: {
            'content-type': 'application/json',
            'x-amz-firehose-protocol-version': '1.0',
            'x-amz-firehose-request-id': requestId,
            'x-amz-firehose-access-key': BENCH_KEY,
            ...(gzip ? { 'content-encoding': 'gzip' } : {}),
          },
          body,
        });
      // A delivery is idempotent, and Firehose would retry it too: once, if the connection was lost before any answer.
      const response = await send().catch((error: { code?: string }) => {
        if (error.code !== 'UND_ERR_SOCKET') throw error;
        return send();
      });
      await response.body.dump();
      return { status: response.statusCode, ms: performance.now() - started };
    },
    peakRss() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return Number(kib ?? 0) * 1024;
    },
    cpuSeconds() {
      // /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
        .replace(/^.*\) /, '')
        .split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    async stop() {
      await pool.close();
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs `tasks` with at most `concurrency` at once. */
export async function runConcurrently<T>(tasks: readonly (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}

/**
 * Posts the deliveries (plain JSON) `concurrency` at a time; answers the seconds it took and the
 * service's CPU meanwhile, in seconds and in cores. Any answer but 200 fails the measurement.
 */
export async function postAllTimed(
  service: ServiceProcess,
  deliveries: readonly { body: Buffer; requestId: string }[],
  concurrency: number,
): Promise<{ seconds: number; cpuSeconds: number; cores: number }> {
  const started = performance.now();
  const cpuBefore = service.cpuSeconds();
  const results = await runConcurrently(
    deliveries.map((d) => () => service.post(d.body, d.requestId, false)),
    concurrency,
  );
  const seconds = (performance.now() - started) / 1000;
  const failed = results.filter((r) => r.status !== 200);
  if (failed.length > 0) throw new Error(`${failed.length} deliveries failed: ${failed[0]!.status}`);
  const cpuSeconds = service.cpuSeconds() - cpuBefore;
  return { seconds, cpuSeconds, cores: cpuSeconds / seconds };
}
