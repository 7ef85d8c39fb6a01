import { boot, type BootOptions, type Booted } from '../pipeline/bootstrap.js';

/** A command's arguments, or its usage: problems exit 2 (on stderr), help exits 0. */
export function argsOrExit<A>(parsed: { ok: true; args: A } | { ok: true; help: true } | { ok: false; problems: string[] }, usage: string): A {
  if (!parsed.ok) {
    process.stderr.write(`${parsed.problems.map((p) => `error: ${p}`).join('\n')}\n\n${usage}\n`);
    process.exit(2);
  }
  if ('help' in parsed) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return parsed.args;
}

/** The bootstrap (pipeline/bootstrap.ts), or every problem with the configuration on stderr and exit 2. */
export function bootOrExit(env: NodeJS.ProcessEnv, options?: BootOptions): Booted & { ok: true } {
  const booted = boot(env, options);
  if (!booted.ok) {
    process.stderr.write(`invalid configuration:\n${booted.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(2);
  }
  return booted;
}

/**
 * A port that cannot be listened on (taken, or not allowed) is said in one line and exits 1,
 * instead of Node's unhandled 'error' event with its stack.
 */
export function exitOnListenError(
  server: { on(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown },
  where: { port: number; host: string },
  log: { fatal(obj: object, msg: string): void },
  /** Closes what is open (the embedded database and its lock) before exiting. */
  close: () => Promise<void>,
): void {
  server.on('error', (error) => {
    const problem =
      error.code === 'EADDRINUSE'
        ? 'is already in use; pick another PORT or stop what listens there'
        : `cannot be listened on (${error.code ?? error.message})`;
    log.fatal({ code: error.code, port: where.port, host: where.host }, `PORT ${where.port}: ${where.host}:${where.port} ${problem}`);
    void close()
      .catch(() => undefined)
      .finally(() => process.exit(1));
  });
}
