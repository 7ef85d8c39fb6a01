import type { Context } from 'hono';
import { changeBounds, type ChangeBounds } from '../decode/change-bounds.js';
import type { DecodedRecord } from '../decode/decode-record.js';
import type { Endpoint } from '../metrics/metric-definitions.js';
import type { DeliveryReport } from '../pipeline/apply-records.js';
import type { BodyDecoder } from '../pipeline/body-decoder.js';
import { deliver, requireAccess, type DeliveryDeps } from './deliver.js';
import type { DeliverySlot } from './delivery-gate.js';
import { publicMessage, statusFor } from './error-response.js';
import { badRequest, isHttpError } from './http-errors.js';
import type { StreamSettings } from './common-attributes.js';
import { FIREHOSE_HEADERS } from './firehose-protocol.js';
import { inflateWithinBudget } from './inflate-within-budget.js';
import { nodeRequestOf, receiveBody } from './read-body.js';

export interface ParsedDelivery {
  readonly requestId: string;
  /** Records in the request, empty ones included. */
  readonly received: number;
  readonly decoded: readonly DecodedRecord[];
  /** The delivery stream's own settings (Firehose's common attributes). */
  readonly settings?: StreamSettings;
  /** Why the common attributes header was ignored (not Firehose's JSON). */
  readonly settingsIgnored?: string;
}

/** What differs between the write endpoints: where the key and request id are, the body, the answers. */
export interface DeliveryEndpoint {
  readonly name: Endpoint;
  requestId(c: Context): string;
  presentedKey(c: Context): string | undefined;
  /** The body → records, each dated within `bounds` (Firehose bodies by `decoder`); throws HttpError BAD_REQUEST. */
  parse(body: Buffer, requestId: string, c: Context, bounds: ChangeBounds, decoder: BodyDecoder): ParsedDelivery | Promise<ParsedDelivery>;
  success(c: Context, requestId: string, report: DeliveryReport): Response;
  failure(c: Context, requestId: string, status: number, message: string): Response;
}

/**
 * One delivery, whichever endpoint: key check, a slot in the gate (or 503 at once), the body
 * within the limits and the deadline, the write; then metrics, one log line and the answer.
 */
export function deliveryHandler(endpoint: DeliveryEndpoint, deps: DeliveryDeps) {
  const labels = { endpoint: endpoint.name };
  return async (c: Context): Promise<Response> => {
    const stopTimer = deps.metrics.deliveryDuration.startTimer(labels);
    const bounds = changeBounds(Date.now(), deps.futureChangeMarginSeconds);
    let requestId = endpoint.requestId(c);
    // The delivery stream that sent it (Firehose only), for logs and dead letters.
    const sourceArn = c.req.header(FIREHOSE_HEADERS.sourceArn)?.trim().slice(0, 512) || undefined;
    let status = 500;
    let slot: DeliverySlot | undefined;
    try {
      requireAccess(endpoint.presentedKey(c), deps);
      slot = deps.gate.enter();
      const received = await receiveBody(c.req.raw, deps.limits, slot.signal, nodeRequestOf(c.env), deps.bodies);
      deps.metrics.deliveryBytes.observe(labels, received.raw.byteLength);
      let inflated: Buffer | undefined;
      let parsed: ParsedDelivery;
      try {
        inflated = await inflateWithinBudget(received, deps.limits, deps.budget, slot, deps.bodies);
        parsed = await endpoint.parse(inflated, requestId, c, bounds, deps.decoder);
      } finally {
        // Parsed, the body is read no more (what parsing hands on is copied off it): its memory
        // serves the next delivery, not held through the write.
        deps.bodies.giveBack(received.raw);
        if (inflated !== undefined) deps.bodies.giveBack(inflated);
      }
      requestId = parsed.requestId;
      deps.metrics.deliveryRecords.observe(labels, parsed.received);
      deps.log.debug({ ...labels, requestId, sourceArn, bytes: received.raw.byteLength, records: parsed.received }, 'delivery received');
      if (parsed.settingsIgnored) deps.log.warn({ ...labels, requestId, sourceArn }, `${parsed.settingsIgnored}: ignored`);
      const routed = deps.routes.route(parsed.settings ?? {});
      if (!routed.ok) throw badRequest(`X-Amz-Firehose-Common-Attributes: ${routed.error}`);
      const report = await deliver(parsed.decoded, parsed.received, { requestId, source: endpoint.name, sourceArn }, deps, slot, routed.route);
      status = 200;
      return endpoint.success(c, requestId, report);
    } catch (error) {
      status = statusFor(error, endpoint.name);
      if (requestId === '' && isHttpError(error) && error.requestId !== undefined) requestId = error.requestId;
      const message = deps.scrub(publicMessage(error));
      // Refused by the gate (no slot taken); a delivery cut off during shutdown is not a refusal.
      const rejected = slot === undefined && isHttpError(error, 'OVERLOADED', 'SHUTTING_DOWN');
      if (rejected) deps.metrics.rejections.inc({ ...labels, reason: isHttpError(error, 'OVERLOADED') ? 'overloaded' : 'shutting_down' });
      deps.status.recordError({ endpoint: endpoint.name, requestId, status, message });
      // Refusals under overload are expected and can be many: a warning each, not an error.
      // A client's mistake (4xx) is told by its message: a stack trace would say only where we noticed.
      const detail = status < 500 ? { error: message } : { err: error };
      deps.log[status >= 500 && !rejected ? 'error' : 'warn']({ endpoint: endpoint.name, requestId, sourceArn, status, ...detail }, 'delivery refused');
      return endpoint.failure(c, requestId, status, message);
    } finally {
      slot?.answered();
      deps.metrics.deliveries.inc({ ...labels, status: String(status) });
      stopTimer();
    }
  };
}
