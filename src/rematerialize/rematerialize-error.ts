/** Why a rematerialize run stopped before the end. Its cursor is saved: running it again resumes. */
export class RematerializeError extends Error {
  constructor(
    readonly code: 'NO_COLUMNS' | 'NOT_SUPPORTED' | 'NO_TABLE' | 'STATE_INVALID' | 'STATE_MISMATCH' | 'SINK_FAILED' | 'STATE_WRITE_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RematerializeError';
  }
}
