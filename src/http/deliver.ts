import type { Logger } from 'pino';
import type { DecodedRecord } from '../decode/decode-record.js';
import type { Metrics } from '../metrics/create-metrics.js';
import { applyRecords, type DeliveryReport } from '../pipeline/apply-records.js';
import type { BodyDecoder } from '../pipeline/body-decoder.js';
import type { DeliveryRecorder } from '../pipeline/delivery-metrics.js';
import type { Sink } from '../sink/sink.js';
import type { TargetTables } from '../pipeline/target-tables.js';
import type { Route, StreamRoutes } from '../pipeline/stream-routes.js';
import type { BodyBuffers } from './body-buffers.js';
import { checkAccessKey, type AccessPolicy } from './access-key.js';
import { untilAborted, type DeliveryGate, type DeliverySlot } from './delivery-gate.js';
import { unauthorized } from './http-errors.js';
import type { ProcessingBudget } from './processing-budget.js';
import type { BodyLimits } from './read-body.js';
import type { ServiceStatus } from './service-status.js';

/** What the write endpoints need; built once in createApp. */
export interface DeliveryDeps {
  readonly sink: Sink;
  readonly log: Logger;
  readonly access: AccessPolicy;
  readonly limits: BodyLimits;
  /** Memory for request bodies, reused from one delivery to the next. */
  readonly bodies: BodyBuffers;
  /** Claims each source table's target table. */
  readonly targets: TargetTables;
  readonly changeLog: boolean;
  /** A change dated more than this past the clock is dead-lettered (FUTURE_CHANGE_MARGIN_SECONDS). */
  readonly futureChangeMarginSeconds: number;
  readonly gate: DeliveryGate;
  /** Bounds the inflated bytes being processed at once. */
  readonly budget: ProcessingBudget;
  readonly metrics: Metrics;
  readonly recordDelivery: DeliveryRecorder;
  /** Decodes Firehose bodies: on this thread, or in worker threads (DECODE_WORKERS). */
  readonly decoder: BodyDecoder;
  readonly status: ServiceStatus;
  /** Each delivery stream's schema and table map (X-Amz-Firehose-Common-Attributes). */
  readonly routes: StreamRoutes;
  /**
   * Removes credentials from text a client or /status will see, by structure (log/credentials.ts):
   * never by matching the configured values, which would tell a client whether its text is one.
   */
  readonly scrub: (text: string) => string;
}

export function requireAccess(presented: string | undefined, deps: DeliveryDeps): void {
  const decision = checkAccessKey(presented, deps.access);
  if (!decision.ok) throw unauthorized(decision.reason);
}

/**
 * Applies decoded records unless the slot's signal aborts first (deadline, shutdown); throws
 * SinkError or the abort reason. A write cut off may still finish later: that is harmless, the
 * writes are idempotent, and the slot stays taken until it does, so that memory stays bounded.
 */
export async function deliver(
  decoded: readonly DecodedRecord[],
  received: number,
  meta: { requestId: string; source: string; sourceArn?: string },
  deps: DeliveryDeps,
  slot: DeliverySlot,
  route: Route = deps,
): Promise<DeliveryReport> {
  const started = performance.now();
  // Dead letters say which delivery stream sent them.
  const source = meta.sourceArn === undefined ? meta.source : `${meta.source} ${meta.sourceArn}`;
  const work = applyRecords(decoded, received, { requestId: meta.requestId, source, targets: route.targets, changeLog: deps.changeLog }, route.sink);
  slot.hold(work);
  // Counted when written, even if the answer has gone out as 503 by then: the rows are there.
  work.then(
    (result) => {
      try {
        if (result.ok) deps.recordDelivery(result);
      } catch (error) {
        // Metrics must never fail a delivery, nor crash the process from this detached callback.
        deps.log.error({ ...meta, err: error }, 'recording delivery metrics failed');
      }
    },
    () => undefined,
  );
  const result = await untilAborted(work, slot.signal);
  if (!result.ok) throw result.error;
  const { failures, ...counts } = result.report;
  deps.log.info({ ...meta, ...counts, ms: Math.round(performance.now() - started) }, 'delivery applied');
  for (const failure of failures.slice(0, 10)) deps.log.warn({ ...meta, ...failure }, 'record dead-lettered');
  return result.report;
}
