import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/config.js';
import { configSecrets, createLogger, logScrubber } from '../log/logger.js';
import { openTarget, type Target } from '../sink/create-sink.js';
import { EmbeddedDatabaseError } from '../sink/pglite/data-dir-lock.js';

/**
 * How every way in starts (src/main.ts, src/lambda.ts, src/backfill-main.ts, src/consume-main.ts,
 * src/rematerialize-main.ts):
 * the environment's configuration, or every problem with it at once; then the logger, which
 * never writes the access keys or the database password; then the sink.
 */
export type Booted =
  | { readonly ok: true; readonly config: Config; readonly log: Logger; readonly scrub: (text: string) => string }
  | { readonly ok: false; readonly problems: readonly string[] };

export interface BootOptions {
  /** A command whose terminal output is the information: log warnings and worse unless LOG_LEVEL asks for more than info. */
  readonly quiet?: boolean;
}

export function boot(env: Record<string, string | undefined>, options: BootOptions = {}): Booted {
  const loaded = loadConfig(env);
  if (!loaded.ok) return { ok: false, problems: loaded.problems };
  const { config } = loaded;
  const secrets = configSecrets(config);
  const level = options.quiet === true && config.logLevel === 'info' ? 'warn' : config.logLevel;
  return { ok: true, config, log: createLogger(level, { secrets }), scrub: logScrubber(secrets) };
}

export type OpenedSink =
  | ({ readonly ok: true } & Target)
  /** The embedded database is in use by another process, or damaged: an entry point says so and stops. */
  | { readonly ok: false; readonly error: EmbeddedDatabaseError };

/** The sink of SINK_URL and, over the same connections, the consumers' checkpoint store and the sinks into other schemas. */
export async function openSink(config: Config, log: Logger): Promise<OpenedSink> {
  try {
    return { ok: true, ...(await openTarget(config.sink, log)) };
  } catch (error) {
    if (error instanceof EmbeddedDatabaseError) return { ok: false, error };
    throw error;
  }
}
