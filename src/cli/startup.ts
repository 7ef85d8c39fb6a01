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
