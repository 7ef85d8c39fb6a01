/**
 * A record that cannot be decoded. Thrown inside the pure decoders and caught at the record
 * boundary, where it becomes a dead letter; `path` names the offending field.
 */
export class DecodeError extends Error {
  readonly code = 'DECODE_ERROR';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(path ? `${path}: ${reason}` : reason);
    this.name = 'DecodeError';
  }
}

/** `error` as if thrown at `prefix` + its path; anything else than a DecodeError as it is. */
export function within(error: unknown, prefix: string): unknown {
  return error instanceof DecodeError ? new DecodeError(prefix + error.path, error.reason) : error;
}
