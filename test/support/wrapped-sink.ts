import type { Sink, SinkWriteResult } from '../../src/sink/sink.js';
import type { WriteBatch } from '../../src/translate/write-batch.js';

/**
 * A real sink with a hook around each write: the hook may act first (change DynamoDB, apply
 * stream changes) or answer in the database's place (an outage), then the real write runs.
 */
export function wrapSink(real: Sink, around: (batch: WriteBatch, write: () => Promise<SinkWriteResult>) => Promise<SinkWriteResult>): Sink {
  return {
    kind: real.kind,
    write: (batch) => around(batch, () => real.write(batch)),
    ...(real.claimNames ? { claimNames: real.claimNames.bind(real) } : {}),
    ping: () => real.ping(),
    purgeTombstones: (version) => real.purgeTombstones(version),
    liveRowsBelow: (table, sourceTable, version) => real.liveRowsBelow(table, sourceTable, version),
    close: async () => undefined, // the real sink belongs to the test harness
  };
}
