/**
 * Bounds the bytes of (inflated) bodies being parsed, decoded and written at once. A delivery in
 * flight holds only its body as received (gzip: a fraction) until its turn; then it takes its
 * inflated size from the budget until its write has settled. A body larger than the whole budget
 * waits until it can run alone. First come, first served, so that a large delivery is not starved.
 * Parsing, decoding and writing a body take a few times its size in memory: this, not the
 * number of deliveries in flight, is what bounds the process's memory.
 */
export class ProcessingBudget {
  private used = 0;
  private readonly queue: { need: number; grant: () => void }[] = [];

  constructor(readonly limitBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  /** Waits for `bytes` of the budget; resolves with the function that gives them back. Rejects with the signal's reason if it aborts first. */
  acquire(bytes: number, signal: AbortSignal): Promise<() => void> {
    const need = Math.max(0, Math.min(bytes, this.limitBytes));
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const waiter = {
        need,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          this.used += need;
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            this.used -= need;
            this.pump();
          });
        },
      };
      const onAbort = () => {
        const at = this.queue.indexOf(waiter);
        if (at < 0) return;
        this.queue.splice(at, 1);
        reject(signal.reason as Error);
        this.pump(); // the next one may fit now
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.need)) this.queue.shift()!.grant();
  }

  private fits(need: number): boolean {
    return this.used === 0 || this.used + need <= this.limitBytes;
  }
}
