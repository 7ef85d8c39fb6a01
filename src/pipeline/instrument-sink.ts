import type { Metrics } from '../metrics/create-metrics.js';
import type { Sink } from '../sink/sink.js';

/** The same sink, with each write timed and each failed write counted by kind. */
export function instrumentSink(sink: Sink, metrics: Metrics): Sink {
  return {
    kind: sink.kind,
    async write(batch) {
      const stop = metrics.sinkWriteDuration.startTimer();
      try {
        const result = await sink.write(batch);
        if (!result.ok) metrics.sinkErrors.inc({ kind: result.error.retryable ? 'retryable' : 'permanent' });
        return result;
      } catch (error) {
        // A sink reports expected failures as values; a throw is a bug, answered 500.
        metrics.sinkErrors.inc({ kind: 'permanent' });
        throw error;
      } finally {
        stop();
      }
    },
    ...(sink.claimNames ? { claimNames: sink.claimNames.bind(sink) } : {}),
    ping: () => sink.ping(),
    purgeTombstones: (version) => sink.purgeTombstones(version),
    liveRowsBelow: (table, sourceTable, version) => sink.liveRowsBelow(table, sourceTable, version),
    close: () => sink.close(),
  };
}
