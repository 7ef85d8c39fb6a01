import type { Logger } from 'pino';
import type { DecodedRecord } from '../decode/decode-record.js';
import type { Metrics } from '../metrics/create-metrics.js';
import { applyRecords } from '../pipeline/apply-records.js';
import type { DeliveryRecorder } from '../pipeline/delivery-metrics.js';
import { pause, retryApply } from '../pipeline/retry-apply.js';
import type { CheckpointStore, ShardCheckpoint } from '../sink/checkpoint-store.js';
import type { Sink } from '../sink/sink.js';
import type { TargetTables } from '../pipeline/target-tables.js';
import type { LeaseTerm } from './stream-lease.js';
import { StreamSourceError, type Position, type RecordPage, type ShardInfo, type StartPosition, type StreamSource } from './stream-source.js';

/** What a consumer is made of: where it reads, where it writes, where it starts, who it is. */
export interface ConsumerParts {
  readonly source: StreamSource;
  readonly store: CheckpointStore;
  readonly sink: Sink;
  /** Which target table each source table writes, claimed as the service claims them. */
  readonly targets: TargetTables;
  readonly changeLog: boolean;
  /** Where shards without a checkpoint start. */
  readonly start: StartPosition;
  /** This process, as the lease names its holder. */
  readonly owner: string;
  readonly log: Logger;
  readonly metrics: Metrics;
}

export interface ShardContext extends ConsumerParts {
  readonly term: LeaseTerm;
  readonly recordDelivery: DeliveryRecorder;
  /** Stop after the batch in hand (SIGTERM, lease lost, stream gone). */
  readonly halt: AbortSignal;
  /** Tests: stop dead at the next step, as kill -9 would. */
  readonly crash: AbortSignal;
  /** How long the stream keeps records (updated at each discovery). */
  retentionMs: number;
  readonly pollMs: number;
  readonly batchLimit: number;
  readonly idleConfirmMs: number;
  /** Told of every checkpoint saved, so that a restarted reader starts from it. */
  readonly remember: (checkpoint: ShardCheckpoint) => void;
}

/** How reading a shard ended. */
export type ShardEnd = { kind: 'finished' } | { kind: 'trimmed'; reason: string } | { kind: 'gone' } | { kind: 'stopped' };

/**
 * Reads one shard from its checkpoint (or the start position) to its end: each page of records
 * is written through decode → translate → sink, then the checkpoint moves to its last record.
 * A record is never checkpointed before it is written, so a crash only repeats records, which
 * the version gate makes harmless.
 */
export async function readShard(ctx: ShardContext, shard: ShardInfo, checkpoint: ShardCheckpoint | undefined): Promise<ShardEnd> {
  const { source, log, metrics } = ctx;
  const labels = { stream: source.label, shard: shard.shardId };
  const stopped = () => ctx.halt.aborted || ctx.crash.aborted;
  let sequence = checkpoint?.sequence ?? null;
  let lastSave = checkpoint?.updatedAt.getTime() ?? Date.now();
  if (checkpoint && sequence !== null && Date.now() - lastSave > ctx.retentionMs) {
    return trimmed(
      `its checkpoint was written ${checkpoint.updatedAt.toISOString()}, longer ago than the stream keeps records (${ctx.retentionMs / 3_600_000} h): records after it may be gone`,
    );
  }
  // `at-time` where the API cannot start there (DynamoDB Streams): skip the older records.
  let skipBefore = sequence === null && ctx.start.kind === 'at-time' ? ctx.start.time.getTime() : null;
  const position = (): Position => (sequence === null ? ctx.start : { kind: 'after', sequence });
  const backoff = new Backoff();

  let iterator: string | null = null;
  while (!stopped()) {
    try {
      iterator ??= await source.iterator(shard.shardId, position());
      const page: RecordPage = await source.read(iterator, ctx.batchLimit);
      backoff.reset();
      const last = page.records.at(-1)?.sequence;
      let records = page.records;
      if (skipBefore !== null) {
        const from = skipBefore;
        records = records.filter((r) => r.arrivedAtMs >= from);
        if (records.length > 0) skipBefore = null;
      }
      const finished = page.next === null;
      if (records.length > 0) {
        if (!(await ctx.term.ready(ctx.halt)) || ctx.crash.aborted) return { kind: 'stopped' };
        const written = await write(
          records.map((r) => r.decoded).filter((d): d is DecodedRecord => d !== null),
          records.length,
          `${records[0]!.sequence}`,
        );
        if (!written || ctx.crash.aborted) return { kind: 'stopped' };
        metrics.consumerRecords.inc(labels, records.length);
        metrics.consumerBatches.inc(labels);
      }
      if (last !== undefined || finished || (sequence !== null && Date.now() - lastSave > ctx.idleConfirmMs)) {
        // Also after records skipped by time, at the shard's end, and now and then when idle
        // (a confirmed checkpoint is not mistaken for one older than the retention).
        if (!(await save(last ?? sequence, finished))) return { kind: 'stopped' };
      }
      metrics.consumerIteratorAge.set(
        labels,
        page.millisBehind !== null ? page.millisBehind / 1000 : last !== undefined ? Math.max(0, Date.now() - page.records.at(-1)!.arrivedAtMs) / 1000 : 0,
      );
      metrics.consumerCheckpointLag.set(labels, (Date.now() - lastSave) / 1000);
      if (finished) return { kind: 'finished' };
      iterator = page.next;
      if (page.records.length === 0) await pause(ctx.pollMs, ctx.halt);
    } catch (error) {
      if (!(error instanceof StreamSourceError)) throw error;
      metrics.consumerSourceErrors.inc({ stream: source.label, kind: error.kind });
      if (error.kind === 'trimmed') return trimmed(error.message);
      if (error.kind === 'gone') return { kind: 'gone' };
      if (error.kind === 'expired') {
        // Iterators live 15 minutes: a new one from where the checkpoint is.
        log.info({ ...labels, sequence }, 'shard iterator expired: renewing it from the checkpoint');
        iterator = null;
        continue;
      }
      if (error.kind === 'other') {
        log.warn({ ...labels, err: error }, 'reading the shard failed: trying again');
        iterator = null;
      }
      await pause(backoff.next(), ctx.halt);
    }
  }
  return { kind: 'stopped' };

  function trimmed(reason: string): ShardEnd {
    log.error(
      { ...labels, sequence, reason },
      `shard ${shard.shardId} stopped: its records were trimmed (${reason}). To go on: run again with --reset --start trim-horizon (or latest), then run npm run backfill to copy what was missed.`,
    );
    return { kind: 'trimmed', reason };
  }

  async function write(decoded: DecodedRecord[], received: number, first: string): Promise<boolean> {
    const options = {
      requestId: `${source.kind}:${source.label}:${shard.shardId}:${first}`,
      source: source.kind,
      targets: ctx.targets,
      changeLog: ctx.changeLog,
    };
    // A consumer cannot skip records: retry until written, unless stopped (nothing is checkpointed then).
    const result = await retryApply(() => applyRecords(decoded, received, options, ctx.sink), {
      retries: Infinity,
      delayMs: 500,
      signal: AbortSignal.any([ctx.halt, ctx.crash]),
      onRetry: (failed, attempt) => log.warn({ ...labels, err: failed.error, attempt }, 'writing the batch failed: trying again'),
    });
    if (!result.ok) return false;
    ctx.recordDelivery(result);
    for (const f of result.report.failures.slice(0, 10)) log.warn({ ...labels, ...f }, 'record dead-lettered');
    return true;
  }

  async function save(at: string | null, finished: boolean): Promise<boolean> {
    if (ctx.crash.aborted) return false;
    const saved = await ctx.store.save(source.streamId, ctx.owner, { shard: shard.shardId, sequence: at, finished });
    if (!saved) {
      ctx.term.lose('a checkpoint was refused: another consumer holds the lease');
      return false;
    }
    sequence = at;
    lastSave = Date.now();
    ctx.remember({ shard: shard.shardId, sequence: at, finished, updatedAt: new Date(lastSave) });
    return true;
  }
}

/** 250 ms doubling to 10 s, with jitter: throttling (5 reads per second per shard) and transient errors. */
class Backoff {
  private delay = 250;
  next(): number {
    const d = this.delay * (0.85 + Math.random() * 0.3);
    this.delay = Math.min(this.delay * 2, 10_000);
    return d;
  }
  reset(): void {
    this.delay = 250;
  }
}
