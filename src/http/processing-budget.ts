/** Bytes of the budget held by one delivery; given back once its write has settled. */
export interface BudgetLease {
  /** Bytes held now. */
  readonly bytes: number;
  /**
   * Makes the lease hold `bytes` in all (more than it was granted: the body outgrew its estimate),
   * taking the difference from the budget if it is free now; throws BudgetOutgrownError otherwise.
   * A lease holding the whole budget (its delivery runs alone) covers any size.
   */
  cover(bytes: number): void;
  /** Gives the bytes back; later calls do nothing. */
  release(): void;
}

/** A body grew past what its lease and the budget could hold beside the deliveries running. */
export class BudgetOutgrownError extends Error {
  readonly code = 'BUDGET_OUTGROWN';
  constructor(bytes: number) {
    super(`${bytes} inflated bytes do not fit beside the deliveries in progress`);
    this.name = 'BudgetOutgrownError';
  }
}

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

  /** Waits for `bytes` of the budget (all of it at most); rejects with the signal's reason if it aborts first. */
  acquire(bytes: number, signal: AbortSignal): Promise<BudgetLease> {
    const need = Math.max(0, Math.min(bytes, this.limitBytes));
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const waiter = {
        need,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          this.used += need;
          resolve(this.lease(need));
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

  private lease(granted: number): BudgetLease {
    let held = granted;
    let released = false;
    const budget = this;
    return {
      get bytes() {
        return held;
      },
      cover(bytes) {
        if (released || bytes <= held || held >= budget.limitBytes) return;
        const more = Math.min(bytes, budget.limitBytes) - held;
        if (budget.used + more > budget.limitBytes) throw new BudgetOutgrownError(bytes);
        budget.used += more;
        held += more;
      },
      release() {
        if (released) return;
        released = true;
        budget.used -= held;
        budget.pump();
      },
    };
  }

  private pump(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.need)) this.queue.shift()!.grant();
  }

  private fits(need: number): boolean {
    return this.used === 0 || this.used + need <= this.limitBytes;
  }
}
