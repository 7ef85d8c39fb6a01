import { SinkError } from '../sink/sink.js';
import {
  BadRequestError,
  BodyTooLargeError,
  DeadlineExceededError,
  OverloadedError,
  ShuttingDownError,
  UnauthorizedError,
} from './http-errors.js';

export type Protocol = 'firehose' | 'records';

/**
 * The one place errors become HTTP statuses. Firehose retries every failure except 413, which
 * makes it drop the batch (CONTEXT.md §1), so the Firehose endpoint never answers 413.
 */
export function statusFor(error: unknown, protocol: Protocol): number {
  if (error instanceof UnauthorizedError) return 401;
  if (error instanceof BadRequestError) return 400;
  if (error instanceof BodyTooLargeError) return protocol === 'firehose' ? 400 : 413;
  if (error instanceof SinkError) return error.retryable ? 503 : 500;
  // Firehose backs off and retries a 503: what overload, a deadline and a restart need.
  if (error instanceof DeadlineExceededError || error instanceof OverloadedError || error instanceof ShuttingDownError) return 503;
  return 500;
}

/** The message a client may see: ours verbatim, anything unexpected hidden behind a generic one. */
export function publicMessage(error: unknown): string {
  const known =
    error instanceof UnauthorizedError ||
    error instanceof BadRequestError ||
    error instanceof BodyTooLargeError ||
    error instanceof DeadlineExceededError ||
    error instanceof OverloadedError ||
    error instanceof ShuttingDownError ||
    error instanceof SinkError;
  return known ? error.message : 'internal error';
}
