import { SinkError } from '../sink/sink.js';
import { HttpError, type HttpErrorCode } from './http-errors.js';

export type Protocol = 'firehose' | 'records';

/**
 * The one table from error codes to HTTP statuses. Firehose retries every failure except 413,
 * which makes it drop the batch (CONTEXT.md §1), so the Firehose endpoint never answers 413;
 * it backs off and retries a 503: what overload, a deadline and a restart need.
 */
const STATUS: Readonly<Record<HttpErrorCode | SinkError['code'], number | Readonly<Record<Protocol, number>>>> = {
  UNAUTHORIZED: 401,
  BAD_REQUEST: 400,
  BODY_TOO_LARGE: { firehose: 400, records: 413 },
  DEADLINE_EXCEEDED: 503,
  OVERLOADED: 503,
  SHUTTING_DOWN: 503,
  SINK_UNAVAILABLE: 503,
  SINK_FAILED: 500,
};

/** Ours, whose message a client may see; anything else is unexpected. */
function known(error: unknown): error is HttpError | SinkError {
  return error instanceof HttpError || error instanceof SinkError;
}

/** The one place errors become HTTP statuses. */
export function statusFor(error: unknown, protocol: Protocol): number {
  if (!known(error)) return 500;
  const status = STATUS[error.code];
  return typeof status === 'number' ? status : status[protocol];
}

/** The message a client may see: ours verbatim, anything unexpected hidden behind a generic one. */
export function publicMessage(error: unknown): string {
  return known(error) ? error.message : 'internal error';
}
