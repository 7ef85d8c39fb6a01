import pino from 'pino';
import { createApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { Sink } from '../../src/sink/sink.js';
import { ACCESS_KEY } from './firehose.js';

export interface AppWithOptions {
  /** Environment variables on top of the test defaults (ACCESS_KEY, silent logs). */
  readonly env?: Record<string, string>;
  /**
   * Values set after the environment is read: for limits the environment refuses on purpose
   * (MAX_BODY_BYTES is at least 65 MiB), so that a test need not send 65 MiB.
   */
  readonly config?: Partial<Config>;
}

/** An app over the given sink (often a stub from stub-sink.ts), built as main.ts builds it. */
export function appWith(sink: Sink, options: AppWithOptions = {}): { app: ReturnType<typeof createApp>; config: Config } {
  const loaded = loadConfig({ ACCESS_KEY, PGLITE_DIR: 'memory://', LOG_LEVEL: 'silent', ...options.env });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  const config: Config = { ...loaded.config, ...options.config };
  return { app: createApp({ config, sink, log: pino({ level: 'silent' }) }), config };
}
