/** The last delivery that failed, for GET /status. */
export interface LastError {
  readonly at: string;
  readonly endpoint: string;
  readonly requestId: string;
  readonly status: number;
  readonly message: string;
}

/** What GET /status tells beyond the metrics: when the service started and its last failure. */
export class ServiceStatus {
  readonly startedAt = new Date();
  private last: LastError | null = null;

  recordError(error: Omit<LastError, 'at'>, at = new Date()): void {
    this.last = { at: at.toISOString(), ...error };
  }

  get lastError(): LastError | null {
    return this.last;
  }
}
