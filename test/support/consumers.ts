import { TargetTables } from '../../src/pipeline/target-tables.js';
import { tableNaming } from '../../src/translate/target-name.js';
import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { parse as parseLossless } from 'lossless-json';
import pino from 'pino';
import { runConsumer, type ConsumerEnd, type ConsumerOptions } from '../../src/consume/run-consumer.js';
import type { StreamSource } from '../../src/consume/stream-source.js';
import { createMetrics, type Metrics } from '../../src/metrics/create-metrics.js';
import type { CheckpointStore } from '../../src/sink/checkpoint-store.js';
import type { Sink } from '../../src/sink/sink.js';
import { expectedPk, mapMismatch, type Item } from './dynamo-model.js';
import { wrapSink } from './wrapped-sink.js';

/** A consumer running in this process, which a test can stop gracefully or kill dead. */
export interface RunningConsumer {
  readonly owner: string;
  readonly metrics: Metrics;
  readonly done: Promise<ConsumerEnd>;
  /** SIGTERM. */
  stop(): Promise<ConsumerEnd>;
  /** kill -9: no checkpoint after the batch in hand, no lease release. */
  crash(): Promise<ConsumerEnd>;
}

export const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * For the property tests that kill consumers: a short lease, so that the next one takes over soon;
 * a lease lost to a pause of a loaded machine is one more interruption they must converge through.
 */
export const KILLED_LEASE_MS = 900;

export function startConsumer(source: StreamSource, store: CheckpointStore, sink: Sink, extra: Partial<ConsumerOptions> = {}): RunningConsumer {
  const stop = new AbortController();
  const crash = new AbortController();
  const metrics = createMetrics();
  const owner = extra.owner ?? `test-${randomUUID().slice(0, 8)}`;
  const done = runConsumer({
    source,
    store,
    sink,
    targets: new TargetTables(tableNaming(new Map(), 'cdc_dead_letters'), sink),
    changeLog: false,
    start: { kind: 'trim-horizon' },
    owner,
    log: quiet,
    metrics,
    signal: stop.signal,
    crash: crash.signal,
    // Well beyond a loaded machine's pauses (a lease that runs out stops the consumer), short enough
    // for a killed consumer's lease to pass to the next one soon.
    leaseMs: 4000,
    pollMs: 20,
    discoveryMs: 150,
    ...extra,
  });
  return {
    owner,
    metrics,
    done,
    stop: () => (stop.abort(), done),
    crash: () => (crash.abort(), done),
  };
}

export interface TargetRow {
  pk: string;
  data: string;
  deleted: boolean;
}

/** null when the target table's live rows are exactly the items (same keys, same values), else the first difference. */
export function tableMismatch(items: readonly Record<string, AttributeValue>[], keyNames: readonly string[], rows: readonly TargetRow[]): string | null {
  const live = new Map(rows.filter((r) => !r.deleted).map((r) => [r.pk, r]));
  if (live.size !== items.length) return `expected ${items.length} live rows, found ${live.size}`;
  for (const item of items) {
    const keys = Object.fromEntries(keyNames.map((k) => [k, item[k]])) as Item;
    const pk = expectedPk(keys);
    const row = live.get(pk);
    if (!row) return `missing ${pk}`;
    const m = mapMismatch(item as Item, parseLossless(row.data));
    if (m) return `${pk}: ${m}`;
  }
  return null;
}

/**
 * Polls `check` until it answers null (converged) or the time is up; returns the last answer. The
 * bound is generous (a loaded 2-core machine took over 20 s): a passing check returns at once.
 */
export async function eventually(check: () => Promise<string | null>, timeoutMs = 45_000): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = 'not checked';
  while (Date.now() < deadline) {
    last = await check();
    if (last === null) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return last;
}

/** One write of a batch by a consumer, from its start to its end. */
export interface TimedWrite {
  readonly owner: string;
  readonly stream: string;
  readonly from: number;
  readonly to: number;
}

/**
 * The sink as one consumer sees it, recording each write with the stream it came from (the
 * consumer names it in the batch's request id: `<kind>:<stream>:<shard>:<sequence>`).
 */
export function timedSink(sink: Sink, owner: string, writes: TimedWrite[]): Sink {
  return wrapSink(sink, async (batch, write) => {
    const from = Date.now();
    try {
      return await write();
    } finally {
      writes.push({ owner, stream: batch.requestId.split(':')[1]!, from, to: Date.now() });
    }
  });
}

/** null when no two consumers ever wrote the same stream at the same time, else the first overlap. */
export function overlappingWrites(writes: readonly TimedWrite[]): string | null {
  for (const a of writes) {
    for (const b of writes) {
      if (a.stream === b.stream && a.owner !== b.owner && a.from < b.to && b.from < a.to)
        return `${a.owner} and ${b.owner} both wrote ${a.stream} at ${a.from}`;
    }
  }
  return null;
}
