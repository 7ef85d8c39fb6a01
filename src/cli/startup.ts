import { loadConfig, type Config } from '../config/config.js';

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

/** The environment's configuration, or every problem with it on stderr and exit 2. */
export function configOrExit(env: NodeJS.ProcessEnv): Config {
  const loaded = loadConfig(env);
  if (!loaded.ok) {
    process.stderr.write(`invalid configuration:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(2);
  }
  return loaded.config;
}
