import type { Logger } from 'pino';
import type { DecodedRecord } from '../decode/decode-record.js';
import { applyRecords, type DeliveryReport } from '../pipeline/apply-records.js';
import type { Sink } from '../sink/sink.js';
import type { TableMap } from '../translate/target-name.js';
import { checkAccessKey, type AccessPolicy } from './access-key.js';
import { DeadlineExceededError, UnauthorizedError } from './http-errors.js';
import type { BodyLimits } from './read-body.js';

/** What the write endpoints need; built once in createApp. */
export interface DeliveryDeps {
  readonly sink: Sink;
  readonly log: Logger;
  readonly access: AccessPolicy;
  readonly limits: BodyLimits;
  readonly tableMap: TableMap;
  readonly changeLog: boolean;
  readonly deliveryTimeoutMs: number;
}

export function requireAccess(presented: string | undefined, deps: DeliveryDeps): void {
  const decision = checkAccessKey(presented, deps.access);
  if (!decision.ok) throw new UnauthorizedError(decision.reason);
}

/**
 * Applies decoded records within the delivery deadline; throws SinkError or DeadlineExceededError.
 * A write cut off by the deadline may still finish later: that is harmless, the writes are idempotent.
 */
export async function deliver(
  decoded: readonly DecodedRecord[],
  received: number,
  meta: { requestId: string; source: string },
  deps: DeliveryDeps,
): Promise<DeliveryReport> {
  const started = performance.now();
  const work = applyRecords(decoded, received, { ...meta, tableMap: deps.tableMap, changeLog: deps.changeLog }, deps.sink);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(deps.deliveryTimeoutMs)), deps.deliveryTimeoutMs);
  });
  try {
    const result = await Promise.race([work, deadline]);
    if (!result.ok) throw result.error;
    const { failures, ...counts } = result.report;
    deps.log.info({ ...meta, ...counts, ms: Math.round(performance.now() - started) }, 'delivery applied');
    for (const failure of failures.slice(0, 10)) deps.log.warn({ ...meta, ...failure }, 'record dead-lettered');
    return result.report;
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}
