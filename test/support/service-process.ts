import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';

/** The project root: where `src/main.ts` is started from, as a user would. */
export const root = new URL('../../', import.meta.url).pathname;

/**
 * An entry point such as `src/main.ts` as the script `node` starts: its compiled copy
 * in this run's build (service-build.global.ts), as `npm start` runs `dist/main.js`.
 */
export function compiledEntry(entry: string): string {
  const match = /^src\/(.+)\.ts$/.exec(entry);
  if (!match) throw new Error(`not an entry point under src/: ${entry}`);
  return join(inject('serviceBuild'), `${match[1]}.js`);
}

export interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly url: string;
  readonly port: number;
  readonly logs: string[];
  /** Resolves with the exit code once the process has exited. */
  readonly exited: Promise<number | null>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Kills what a failed test left running (call in afterAll): an orphan would hold its port and database. */
export function killServices(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

/**
 * Starts `src/main.ts` (or another entry point that logs "listening" with its port, such as
 * `src/consume-main.ts`) as a process on a free port and waits for its "listening" line: up to
 * 90 s, since loading the modules and opening PGlite take long on a loaded machine.
 */
export function startService(env: Record<string, string>, entry: readonly string[] = ['src/main.ts'], startTimeoutMs = 90_000): Promise<Running> {
  const [script = '', ...args] = entry;
  const child = spawn(process.execPath, [compiledEntry(script), ...args], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SINK_URL: '', ...env },
  });
  const logs: string[] = [];
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start: ${logs.join('')}`)), startTimeoutMs);
    child.stderr.on('data', (d: Buffer) => logs.push(d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      logs.push(d.toString());
      const match = /"port":(\d+).*"msg":"listening"/.exec(d.toString());
      if (match) {
        clearTimeout(timer);
        const port = Number(match[1]);
        resolve({ child, url: `http://127.0.0.1:${port}`, port, logs, exited });
      }
    });
    void exited.then((code) => reject(new Error(`service exited with ${code}: ${logs.join('')}`)));
  });
}

/** Sends the signal and resolves with the exit code. */
export function stopService(running: Running, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  running.child.kill(signal);
  return running.exited;
}
