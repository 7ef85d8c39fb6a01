import { SinkError, type Sink, type SinkWriteResult } from '../../src/sink/sink.js';
import type { WriteBatch } from '../../src/translate/write-batch.js';

/**
 * A Sink that keeps nothing: every row is "applied", every batch remembered. For HTTP tests that
 * need no database, or a database that misbehaves in a chosen way (override `write` or `ping`).
 */
export function stubSink(overrides: Partial<Pick<Sink, 'write' | 'ping'>> = {}): Sink & { readonly batches: WriteBatch[] } {
  const batches: WriteBatch[] = [];
  return {
    kind: 'stub',
    batches,
    write:
      overrides.write ??
      (async (batch: WriteBatch): Promise<SinkWriteResult> => {
        batches.push(batch);
        return { ok: true, tables: batch.tables.map((t) => ({ table: t.table, outcomes: t.rows.map(() => ({ outcome: 'applied' as const })) })) };
      }),
    ping: overrides.ping ?? (async () => true),
    purgeTombstones: async () => 0,
    liveRowsBelow: async () => [],
    close: async () => undefined,
  };
}

/** A database that does not answer: writes fail with a SinkError, /readyz says unavailable. */
export function downSink(error = new SinkError('stub: connection refused', true)): Sink {
  return stubSink({ write: async () => ({ ok: false, error }), ping: async () => false });
}
