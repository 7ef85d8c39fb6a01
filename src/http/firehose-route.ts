import { streamSettings } from './common-attributes.js';
import type { DeliveryDeps } from './deliver.js';
import { deliveryHandler, type DeliveryEndpoint } from './delivery-handler.js';
import { FIREHOSE_HEADERS, firehoseResponse } from './firehose-protocol.js';
import { badRequest } from './http-errors.js';

/** POST /firehose: one Firehose delivery → 200 only once every record is written or dead-lettered. */
const firehoseEndpoint = (deadLetterTable: string): DeliveryEndpoint => ({
  name: 'firehose',
  requestId: (c) => c.req.header(FIREHOSE_HEADERS.requestId) ?? '',
  presentedKey: (c) => c.req.header(FIREHOSE_HEADERS.accessKey),
  async parse(bytes, headerId, c, bounds, decoder) {
    const result = await decoder.decode(bytes, bounds);
    // Without the header, the answer still names the delivery, if its body does.
    if (!result.ok) throw badRequest(result.error, headerId === '' ? { requestId: bodyRequestId(bytes) } : {});
    const { body } = result;
    if (c.req.header(FIREHOSE_HEADERS.requestId) !== undefined && headerId !== body.requestId) {
      throw badRequest('requestId in the body differs from the X-Amz-Firehose-Request-Id header');
    }
    const settings = streamSettings(c.req.header(FIREHOSE_HEADERS.commonAttributes), deadLetterTable);
    if (!settings.ok) throw badRequest(settings.error);
    return {
      requestId: body.requestId,
      received: body.received,
      decoded: body.decoded,
      settings: settings.settings,
      ...(settings.ignored === undefined ? {} : { settingsIgnored: settings.ignored }),
    };
  },
  success: (_c, requestId) => firehoseResponse(requestId, 200),
  failure: (_c, requestId, status, message) => firehoseResponse(requestId, status, message),
});

export const firehoseHandler = (deps: DeliveryDeps, deadLetterTable: string) => deliveryHandler(firehoseEndpoint(deadLetterTable), deps);

/** The body's `requestId` when the body is a JSON object holding one (a failed delivery's answer names it). */
function bodyRequestId(bytes: Buffer): string | undefined {
  try {
    const body = JSON.parse(bytes.toString('utf8')) as unknown;
    const id = body !== null && typeof body === 'object' ? (body as { requestId?: unknown }).requestId : undefined;
    return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : undefined;
  } catch {
    return undefined;
  }
}
