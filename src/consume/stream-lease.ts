import type { Logger } from 'pino';
import { pause } from '../pipeline/retry-apply.js';
import type { CheckpointStore } from '../sink/checkpoint-store.js';

/**
 * One term of holding a stream's lease: renewed every third of its time to live, and lost when
 * another consumer took it or renewals kept failing until it ran out. Only while `usable()` does
 * the holder write: it stops with a third of the lease to spare, so a takeover (which waits for
 * expiry by the database's clock) never overlaps a write that is not slower than that.
 */
export class LeaseTerm {
  private readonly lostController = new AbortController();
  private validUntil: number;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly store: CheckpointStore,
    private readonly stream: string,
    private readonly owner: string,
    private readonly ttlMs: number,
    acquiredAt: number,
    private readonly log: Logger,
    private readonly stop: AbortSignal,
  ) {
    this.validUntil = acquiredAt + ttlMs;
  }

  /** Aborts when the lease is lost. */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  usable(now = Date.now()): boolean {
    return !this.lost.aborted && now < this.validUntil - this.ttlMs / 3;
  }

  /** Waits until the lease is usable (a renewal may be under way); false when lost or stopped. */
  async ready(signal: AbortSignal): Promise<boolean> {
    while (!this.usable()) {
      if (this.lost.aborted || signal.aborted) return false;
      if (Date.now() >= this.validUntil) {
        this.lose('the lease ran out before it could be renewed');
        return false;
      }
      await pause(Math.min(100, this.ttlMs / 10), signal);
    }
    return !signal.aborted;
  }

  lose(reason: string): void {
    if (this.lost.aborted) return;
    this.log.warn({ stream: this.stream, reason }, 'lease lost: stopping every shard');
    this.lostController.abort();
  }

  /** Renews until stopped or lost; resolves then. */
  start(): void {
    this.renewing ??= (async () => {
      const halt = AbortSignal.any([this.stop, this.lost]);
      while (!halt.aborted) {
        await pause(this.ttlMs / 3, halt);
        if (halt.aborted) break;
        const askedAt = Date.now();
        try {
          const { held, holder } = await this.store.acquire(this.stream, this.owner, this.ttlMs);
          if (held) this.validUntil = askedAt + this.ttlMs;
          else this.lose(`taken over by ${holder ?? 'another consumer'}`);
        } catch (error) {
          this.log.warn({ err: error, stream: this.stream }, 'lease renewal failed: trying again');
          if (Date.now() >= this.validUntil) this.lose('renewals failed until the lease ran out');
        }
      }
    })();
  }

  async end(): Promise<void> {
    this.lostController.abort();
    await this.renewing;
  }
}

/**
 * Waits until the stream's lease is ours (free, expired, or ours from before), trying every third
 * of its time to live. Returns when acquired (with the time it was asked for), or null when stopped.
 */
export async function acquireLease(
  store: CheckpointStore,
  stream: string,
  owner: string,
  ttlMs: number,
  log: Logger,
  signal: AbortSignal,
): Promise<number | null> {
  let said: string | null = null;
  while (!signal.aborted) {
    const askedAt = Date.now();
    try {
      const { held, holder } = await store.acquire(stream, owner, ttlMs);
      if (held) return askedAt;
      if (said !== holder) log.info({ stream, holder }, 'another consumer holds the stream: waiting for its lease to be released or to expire');
      said = holder;
    } catch (error) {
      log.warn({ err: error, stream }, 'cannot reach the lease: trying again');
    }
    await pause(ttlMs / 3, signal);
  }
  return null;
}
