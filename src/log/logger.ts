import pino, { type Logger } from 'pino';

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

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'dynamodb-cdc-sink' } }, destination);
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
