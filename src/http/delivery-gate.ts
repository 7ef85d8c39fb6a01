import { deadlineExceeded, overloaded, shuttingDown } from './http-errors.js';

/** One delivery's place in the gate. */
export interface DeliverySlot {
  /** Aborted at the delivery's deadline (DEADLINE_EXCEEDED) or when shutdown cuts it off (SHUTTING_DOWN). */
  readonly signal: AbortSignal;
  /** Keeps the slot taken until `work` settles, even once the delivery is answered (a write past its deadline). */
  hold(work: Promise<unknown>): void;
  /** The delivery is answered; the slot frees once the work it holds has settled. */
  answered(): void;
  /** Resolves when the slot frees: answered, and every work it holds settled. */
  readonly freed: Promise<void>;
}

export interface GateOptions {
  readonly maxInFlight: number;
  readonly deadlineMs: number;
  /** Called with the number of slots taken whenever it changes (for the in-flight gauge). */
  readonly onChange?: (inFlight: number) => void;
}

interface SlotState {
  readonly controller: AbortController;
  answered: boolean;
  holds: number;
}

/**
 * Bounds the deliveries in flight. One more is refused at once (answered 503, so that Firehose
 * backs off) instead of queueing: each holds at least its body as received. How many bytes are
 * inflated and processed at once is the ProcessingBudget's to bound.
 */
export class DeliveryGate {
  private readonly slots = new Set<SlotState>();
  private readonly waiters = new Set<() => void>();
  private open = true;

  constructor(private readonly options: GateOptions) {}

  get inFlight(): number {
    return this.slots.size;
  }

  get maxInFlight(): number {
    return this.options.maxInFlight;
  }

  get accepting(): boolean {
    return this.open;
  }

  /** Takes a slot, or throws HttpError OVERLOADED / SHUTTING_DOWN. */
  enter(): DeliverySlot {
    if (!this.open) throw shuttingDown();
    if (this.slots.size >= this.options.maxInFlight) throw overloaded(this.options.maxInFlight);
    const state: SlotState = { controller: new AbortController(), answered: false, holds: 0 };
    let free!: () => void;
    const freed = new Promise<void>((resolve) => (free = resolve));
    this.slots.add(state);
    this.changed();
    const timer = setTimeout(() => state.controller.abort(deadlineExceeded(this.options.deadlineMs)), this.options.deadlineMs);
    timer.unref();
    const settle = () => {
      if (state.answered && state.holds === 0 && this.slots.delete(state)) {
        free();
        this.changed();
      } else this.notify();
    };
    return {
      signal: state.controller.signal,
      freed,
      hold: (work) => {
        state.holds++;
        const done = () => {
          state.holds--;
          settle();
        };
        work.then(done, done);
      },
      answered: () => {
        clearTimeout(timer);
        state.answered = true;
        settle();
      },
    };
  }

  /**
   * Stops taking deliveries and waits for those in flight. After `timeoutMs` the rest are cut off
   * (answered 503, never 200) and only their answers are awaited, not their writes. Resolves true
   * when every delivery finished on its own.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.open = false;
    if (await this.until(() => this.slots.size === 0, timeoutMs)) return true;
    for (const state of this.slots) state.controller.abort(shuttingDown('the service is shutting down: delivery cut off; retry'));
    await this.until(() => [...this.slots].every((s) => s.answered), 5000);
    return false;
  }

  private until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (!condition()) return;
        cleanup();
        resolve(true);
      };
      const timer = setTimeout(() => {
        cleanup();
        resolve(condition());
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  private changed(): void {
    this.options.onChange?.(this.slots.size);
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** `work`, unless `signal` aborts first: then its reason. The work itself keeps running. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
