import type { ApplyResult } from './apply-records.js';

export interface RetryOptions {
  /** Tries after the first; Infinity: until it works or `signal` stops it. */
  readonly retries: number;
  /** The first pause; it doubles up to 30 s. */
  readonly delayMs: number;
  readonly signal?: AbortSignal;
  readonly onRetry?: (result: ApplyResult & { ok: false }, attempt: number) => void;
}

/**
 * Writes again after a failure worth retrying (and, with `retries: Infinity`, after any failure:
 * a consumer cannot skip records), pausing longer each time. Writes are idempotent, so a retry
 * is harmless.
 */
export async function retryApply(write: () => Promise<ApplyResult>, options: RetryOptions): Promise<ApplyResult> {
  let delay = options.delayMs;
  for (let attempt = 0; ; attempt++) {
    const result = await write();
    if (result.ok || attempt >= options.retries || options.signal?.aborted) return result;
    if (!result.error.retryable && options.retries !== Infinity) return result;
    options.onRetry?.(result, attempt);
    await pause(delay, options.signal);
    delay = Math.min(delay * 2, 30_000);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
