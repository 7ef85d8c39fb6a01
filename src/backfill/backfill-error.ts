/** Why a backfill run stopped before the end. Its cursors are saved: running it again resumes. */
export class BackfillError extends Error {
  constructor(
    readonly code: 'DESCRIBE_FAILED' | 'STATE_INVALID' | 'STATE_MISMATCH' | 'SCAN_FAILED' | 'SINK_FAILED' | 'STATE_WRITE_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BackfillError';
  }
}
