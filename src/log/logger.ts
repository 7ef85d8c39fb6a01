import pino, { type Logger } from 'pino';
import type { Config } from '../config/config.js';

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
   * (access keys, the database password): a second net behind the redacted paths.
   */
  readonly secrets?: readonly string[];
  readonly destination?: pino.DestinationStream;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? [];
  const scrub = secrets.length > 0 ? secretScrubber(secrets) : undefined;
  return pino(
    {
      level,
      redact: { paths: REDACT, censor: CENSOR },
      base: { service: 'dynamodb-cdc-sink' },
      ...(scrub ? { hooks: { streamWrite: scrub } } : {}),
    },
    // Written synchronously: lines are not lost at exit, and exiting never waits on a stdout
    // whose reader is gone (pino's default asynchronous stdout then hangs process.exit).
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** The values of a configuration that must never be shown: access keys, the database password. */
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

/** The password of a database URL, as written and decoded; [] when it has none. */
export function urlSecrets(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const { password } = new URL(url);
    if (!password) return [];
    let decoded = password;
    try {
      decoded = decodeURIComponent(password);
    } catch {
      // Not valid percent-encoding: the text as written is the secret.
    }
    return [password, decoded];
  } catch {
    return [];
  }
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
