import { decodeFirehoseRecord, type DecodedRecord } from '../decode/decode-record.js';
import { parseFirehoseRequest } from '../decode/firehose-request.js';
import type { DeliveryDeps } from './deliver.js';
import { deliveryHandler, type DeliveryEndpoint } from './delivery-handler.js';
import { FIREHOSE_HEADERS, firehoseResponse } from './firehose-protocol.js';
import { BadRequestError } from './http-errors.js';

/** POST /firehose: one Firehose delivery → 200 only once every record is written or dead-lettered. */
const firehoseEndpoint: DeliveryEndpoint = {
  name: 'firehose',
  requestId: (c) => c.req.header(FIREHOSE_HEADERS.requestId) ?? '',
  presentedKey: (c) => c.req.header(FIREHOSE_HEADERS.accessKey),
  parse(body, headerId, c) {
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new BadRequestError(`body is not valid JSON: ${(error as Error).message}`);
    }
    const parsed = parseFirehoseRequest(json);
    if (!parsed.ok) throw new BadRequestError(parsed.error);
    const { request } = parsed;
    if (c.req.header(FIREHOSE_HEADERS.requestId) !== undefined && headerId !== request.requestId) {
      throw new BadRequestError('requestId in the body differs from the X-Amz-Firehose-Request-Id header');
    }
    const decoded: DecodedRecord[] = [];
    for (let i = 0; i < request.records.length; i++) {
      const data = request.records[i]!;
      if (data.length > 0) decoded.push(decodeFirehoseRecord(data, i));
    }
    return { requestId: request.requestId, received: request.records.length, decoded };
  },
  success: (_c, requestId) => firehoseResponse(requestId, 200),
  failure: (_c, requestId, status, message) => firehoseResponse(requestId, status, message),
};

export const firehoseHandler = (deps: DeliveryDeps) => deliveryHandler(firehoseEndpoint, deps);
