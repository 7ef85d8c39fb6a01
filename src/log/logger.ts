import pino, { type Logger } from 'pino';
import type { Config } from '../config/config.js';
import { redactCredentials, urlSecrets } from './credentials.js';

// Access keys and database passwords must never reach a log line.
const REDACT = [
  'req.headers.authorization',
  'req.headers["x-amz-firehose-access-key"]',
  'headers.authorization',
  'headers["x-amz-firehose-access-key"]',
  'accessKey',
  'password',
  '*.password',
];
const CENSOR = '[redacted]';

export interface LoggerOptions {
  /**
   * Values that must not appear anywhere in a line, whatever field or error message carries them
   * (access keys, the database password): a second net behind the redacted paths and the
   * credentials redacted by structure.
   */
  readonly secrets?: readonly string[];
  readonly destination?: pino.DestinationStream;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: CENSOR },
      base: { service: 'dynamodb-cdc-sink' },
      serializers: { err: serializeError },
      hooks: { streamWrite: logScrubber(options.secrets ?? []) },
    },
    // Written synchronously: lines are not lost at exit, and exiting never waits on a stdout
    // whose reader is gone (pino's default asynchronous stdout then hangs process.exit).
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

type SerializedError = Record<string, unknown> & { message?: string; cause?: SerializedError; errors?: SerializedError[] };

/**
 * pino's error, with each cause kept as an object (type, code, stack) but without its message
 * where the message above already says it: our errors name their cause's message, and pino's own
 * serializer would write it again ("database "x" does not exist: database "x" does not exist").
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const out = pino.stdSerializers.errWithCause(error) as SerializedError;
  const prune = (node: SerializedError, said: string) => {
    for (const inner of [node.cause, ...(node.errors ?? [])]) {
      if (!inner || typeof inner !== 'object') continue;
      if (typeof inner.message === 'string' && said.includes(inner.message)) delete inner.message;
      prune(inner, `${said}\n${inner.message ?? ''}`);
    }
  };
  prune(out, out.message ?? '');
  return out;
}

/**
 * For text only the operator sees (log lines, the backfill's messages): credentials by structure,
 * then the configured secrets by value wherever they appear. Never for answers to clients: a
 * client could send a guess and see whether it comes back `[redacted]`.
 */
export function logScrubber(secrets: readonly string[]): (text: string) => string {
  const scrubValues = secretScrubber(secrets);
  return (text) => scrubValues(redactCredentials(text));
}

/** The values of a configuration that must never be shown: access keys, the database's credentials. */
export function configSecrets(config: Pick<Config, 'accessKeys'> & { sink: Pick<Config['sink'], 'url'> }): string[] {
  return [...config.accessKeys, ...urlSecrets(config.sink.url)];
}

/** Replaces each secret, as written and as JSON-escaped (in a log line), by the censor. */
export function secretScrubber(secrets: readonly string[]): (text: string) => string {
  // Shorter than 4 characters, a "secret" would also match ordinary text; such a key is weak anyway.
  const forms = [...new Set(secrets.filter((s) => s.length >= 4).flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))];
  if (forms.length === 0) return (text) => text;
  // Longest first, so that a secret containing another is replaced whole.
  forms.sort((a, b) => b.length - a.length);
  return (text) => forms.reduce((out, secret) => (out.includes(secret) ? out.split(secret).join(CENSOR) : out), text);
}
