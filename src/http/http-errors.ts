/**
 * Every failure of a request that is not about the database, by a stable code: what the client
 * did wrong (4xx) or why the service cannot take the delivery now (503). error-response.ts maps
 * each code to its status, in one table.
 */
export type HttpErrorCode = 'UNAUTHORIZED' | 'BAD_REQUEST' | 'BODY_TOO_LARGE' | 'DEADLINE_EXCEEDED' | 'OVERLOADED' | 'SHUTTING_DOWN';

export class HttpError extends Error {
  /** The request id the body carried, when the answer cannot take it from a header. */
  readonly requestId: string | undefined;

  constructor(
    readonly code: HttpErrorCode,
    message: string,
    options?: { cause?: unknown; requestId?: string },
  ) {
    super(message, options);
    this.name = 'HttpError';
    this.requestId = options?.requestId;
  }
}

export const unauthorized = (reason: string) => new HttpError('UNAUTHORIZED', reason);
export const badRequest = (message: string, options?: { cause?: unknown; requestId?: string }) => new HttpError('BAD_REQUEST', message, options);
export const bodyTooLarge = (message: string) => new HttpError('BODY_TOO_LARGE', message);
export const deadlineExceeded = (ms: number) => new HttpError('DEADLINE_EXCEEDED', `delivery not written within ${ms} ms; it is safe to retry`);
/** Too many deliveries in flight: refused before its body is read, so that memory stays bounded. */
export const overloaded = (max: number) => new HttpError('OVERLOADED', `${max} deliveries are already in flight; retry later`);
/** The service is stopping: a new delivery is refused, and one still running at the end is cut off. */
export const shuttingDown = (message = 'the service is shutting down; retry later') => new HttpError('SHUTTING_DOWN', message);

/** True when `error` is an HttpError with one of `codes`. */
export function isHttpError(error: unknown, ...codes: HttpErrorCode[]): error is HttpError {
  return error instanceof HttpError && (codes.length === 0 || codes.includes(error.code));
}
