import type { Metrics } from '../metrics/create-metrics.js';
import { deliveryRecorder, type DeliveryRecorder } from '../pipeline/delivery-metrics.js';
import { pause } from '../pipeline/retry-apply.js';
import type { ShardCheckpoint } from '../sink/checkpoint-store.js';
import { readShard, type ConsumerParts, type ShardContext, type ShardEnd } from './shard-reader.js';
import { acquireLease, LeaseTerm } from './stream-lease.js';
import type { StreamDescription } from './stream-source.js';

export interface ConsumerOptions extends ConsumerParts {
  /** Drop the stream's checkpoints once the lease is ours (README: after a trimmed checkpoint). */
  readonly reset?: boolean;
  readonly recordDelivery?: DeliveryRecorder;
  /** SIGTERM: finish the batches in hand, checkpoint them, release the lease. */
  readonly signal: AbortSignal;
  /** Tests only: stop dead at the next step, as kill -9 would (no checkpoint, no release). */
  readonly crash?: AbortSignal;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly discoveryMs?: number;
  readonly batchLimit?: number;
  readonly idleConfirmMs?: number;
  /** Told when the lease is taken and when it is lost or given up. */
  readonly onLease?: (held: boolean) => void;
}

export type ConsumerEnd =
  /** SIGTERM (or a crash, in tests). */
  | { readonly reason: 'stopped' }
  /** The stream or its table was deleted. */
  | { readonly reason: 'stream-gone' }
  /** The stream was disabled and every shard read to its end. */
  | { readonly reason: 'stream-disabled' };

type ShardState = 'reading' | 'waiting' | 'finished' | 'trimmed';
const SHARD_STATES: readonly ShardState[] = ['reading', 'waiting', 'finished', 'trimmed'];

/**
 * Consumes a stream for as long as this process holds its lease: waits for the lease, reads
 * every shard whose parents are finished (each in its own loop), rediscovers shards, forgets
 * finished shards that left the stream, and ends cleanly when the stream is gone or disabled and
 * read. Losing the lease stops every shard at once; the consumer then waits for it again.
 */
export async function runConsumer(options: ConsumerOptions): Promise<ConsumerEnd> {
  const { source, store, log, metrics } = options;
  const crash = options.crash ?? new AbortController().signal;
  const stop = AbortSignal.any([options.signal, crash]);
  const leaseMs = options.leaseMs ?? 30_000;
  await store.init();
  // The stream's identity (Kinesis: its ARN) is known once described.
  let first: StreamDescription | null = null;
  while (!first && !stop.aborted) {
    try {
      first = await source.describe();
    } catch (error) {
      log.warn({ err: error, stream: source.label }, 'cannot describe the stream: trying again');
      await pause(2000, stop);
    }
  }
  if (!first || stop.aborted) return { reason: 'stopped' };
  if (first.status === 'gone') return { reason: 'stream-gone' };
  const stream = source.streamId;
  let reset = options.reset === true;
  const leaseGauge = metrics.consumerLeases.labels({ stream: source.label });
  leaseGauge.set(0);

  while (!stop.aborted) {
    const acquiredAt = await acquireLease(store, stream, options.owner, leaseMs, log, stop);
    if (acquiredAt === null) break;
    const term = new LeaseTerm(store, stream, options.owner, leaseMs, acquiredAt, log, stop);
    term.start();
    leaseGauge.set(1);
    options.onLease?.(true);
    log.info({ stream, owner: options.owner }, 'lease acquired: consuming');
    let end: ConsumerEnd | null = null;
    try {
      if (reset) {
        await store.reset(stream);
        log.warn({ stream }, '--reset: every checkpoint of the stream dropped; shards start at --start');
        reset = false;
      }
      end = await consumeWhileHeld(options, term, crash);
    } catch (error) {
      log.error({ err: error, stream }, 'consuming failed: starting over');
    } finally {
      await term.end();
      leaseGauge.set(0);
      options.onLease?.(false);
    }
    if (end || stop.aborted) {
      if (!crash.aborted)
        await store
          .release(stream, options.owner)
          .catch((error: unknown) => log.warn({ err: error, stream }, 'releasing the lease failed (it expires by itself)'));
      return end ?? { reason: 'stopped' };
    }
    await pause(1000, stop);
  }
  return { reason: 'stopped' };
}

async function consumeWhileHeld(options: ConsumerOptions, term: LeaseTerm, crash: AbortSignal): Promise<ConsumerEnd | null> {
  const { source, store, log, metrics } = options;
  const stream = source.streamId;
  const ended = new AbortController();
  const halt = AbortSignal.any([options.signal, term.lost, ended.signal]);
  const checkpoints = new Map((await store.load(stream)).map((c) => [c.shard, c]));
  const states = new Map<string, ShardState>();
  const workers = new Map<string, Promise<void>>();
  let end: ConsumerEnd | null = null;
  // A shard that finishes wakes the discovery loop at once (its children may start), even one
  // that finishes while the loop is not waiting yet.
  let woken = false;
  let wake: () => void = () => (woken = true);
  const ctx: ShardContext = {
    source,
    store,
    sink: options.sink,
    targets: options.targets,
    changeLog: options.changeLog,
    start: options.start,
    owner: options.owner,
    term,
    log,
    metrics,
    recordDelivery: options.recordDelivery ?? deliveryRecorder(metrics),
    halt,
    crash,
    retentionMs: 24 * 3_600_000,
    pollMs: options.pollMs ?? 1000,
    batchLimit: options.batchLimit ?? 1000,
    idleConfirmMs: options.idleConfirmMs ?? 60_000,
    remember: (c: ShardCheckpoint) => checkpoints.set(c.shard, c),
  };
  const finished = (id: string) => checkpoints.get(id)?.finished === true;
  const settle = (id: string, outcome: ShardEnd) => {
    workers.delete(id);
    if (outcome.kind === 'finished') states.set(id, 'finished');
    else if (outcome.kind === 'trimmed') states.set(id, 'trimmed');
    else if (outcome.kind === 'gone') end = { reason: 'stream-gone' };
    wake();
  };

  while (!halt.aborted && !crash.aborted && end === null) {
    let described: StreamDescription;
    try {
      described = await source.describe();
    } catch (error) {
      log.warn({ err: error, stream }, 'shard discovery failed: trying again');
      await pause(2000, halt);
      continue;
    }
    if (described.status === 'gone') {
      end = { reason: 'stream-gone' };
      break;
    }
    if (described.retentionMs > 0) ctx.retentionMs = described.retentionMs;
    const listed = new Set(described.shards.map((s) => s.shardId));
    // Closed, finished shards that left the stream (after its retention) are forgotten.
    const gone = [...checkpoints.values()].filter((c) => c.finished && !listed.has(c.shard)).map((c) => c.shard);
    if (gone.length > 0) {
      await store.forget(stream, gone);
      for (const shard of gone) {
        checkpoints.delete(shard);
        states.delete(shard);
        forgetShardMetrics(metrics, source.label, shard);
      }
      log.info({ stream, shards: gone }, 'finished shards left the stream: checkpoints forgotten');
    }
    for (const c of checkpoints.values()) {
      if (!c.finished && !listed.has(c.shard) && states.get(c.shard) !== 'trimmed') {
        states.set(c.shard, 'trimmed');
        log.error(
          { stream, shard: c.shard, sequence: c.sequence },
          `shard ${c.shard} left the stream before it was read to its end: its records were trimmed. To go on: run again with --reset, then npm run backfill`,
        );
      }
    }
    // A parent that left the stream counts as done: its records are gone either way.
    const done = (id: string) => !listed.has(id) || finished(id);
    for (const shard of described.shards) {
      const id = shard.shardId;
      if (workers.has(id) || finished(id) || states.get(id) === 'trimmed') {
        if (finished(id)) states.set(id, 'finished');
        continue;
      }
      if (!shard.parents.every(done)) {
        states.set(id, 'waiting');
        continue;
      }
      states.set(id, 'reading');
      workers.set(
        id,
        readShard(ctx, shard, checkpoints.get(id)).then(
          (outcome) => settle(id, outcome),
          (error: unknown) => {
            log.error({ err: error, stream, shard: id }, 'reading the shard failed: it starts again from its checkpoint');
            settle(id, { kind: 'stopped' });
          },
        ),
      );
    }
    for (const state of SHARD_STATES) metrics.consumerShards.set({ stream: source.label, state }, [...states.values()].filter((s) => s === state).length);
    const allRead = described.shards.every((s) => finished(s.shardId) || states.get(s.shardId) === 'trimmed');
    if (described.status === 'disabled' && workers.size === 0 && allRead) {
      end = { reason: 'stream-disabled' };
      break;
    }
    // Until the next discovery, or at once when a shard finished (its children may start).
    if (!woken) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        void pause(options.discoveryMs ?? 10_000, halt).then(resolve);
      });
    }
    woken = false;
    wake = () => (woken = true);
  }
  ended.abort();
  await Promise.all(workers.values());
  if (end) log.info({ stream, reason: (end as ConsumerEnd).reason }, 'the stream ended: every shard read');
  return end;
}

function forgetShardMetrics(metrics: Metrics, stream: string, shard: string): void {
  for (const m of [metrics.consumerRecords, metrics.consumerBatches, metrics.consumerIteratorAge, metrics.consumerCheckpointLag]) m.remove({ stream, shard });
}
