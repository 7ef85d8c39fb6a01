/** Failures of a request that are not about the database; mapped to a status in error-response.ts. */
export class UnauthorizedError extends Error {
  readonly code = 'UNAUTHORIZED';
  constructor(message: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

export class BadRequestError extends Error {
  readonly code = 'BAD_REQUEST';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BadRequestError';
  }
}

export class BodyTooLargeError extends Error {
  readonly code = 'BODY_TOO_LARGE';
  constructor(message: string) {
    super(message);
    this.name = 'BodyTooLargeError';
  }
}

export class DeadlineExceededError extends Error {
  readonly code = 'DEADLINE_EXCEEDED';
  constructor(ms: number) {
    super(`delivery not written within ${ms} ms; it is safe to retry`);
    this.name = 'DeadlineExceededError';
  }
}

/** Too many deliveries in flight: refused before its body is read, so that memory stays bounded. */
export class OverloadedError extends Error {
  readonly code = 'OVERLOADED';
  constructor(max: number) {
    super(`${max} deliveries are already in flight; retry later`);
    this.name = 'OverloadedError';
  }
}

/** The service is stopping: a new delivery is refused, and one still running at the end is cut off. */
export class ShuttingDownError extends Error {
  readonly code = 'SHUTTING_DOWN';
  constructor(message = 'the service is shutting down; retry later') {
    super(message);
    this.name = 'ShuttingDownError';
  }
}
