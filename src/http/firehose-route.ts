import type { Context } from 'hono';
import { decodeFirehoseRecord } from '../decode/decode-record.js';
import { parseFirehoseRequest } from '../decode/firehose-request.js';
import { deliver, requireAccess, type DeliveryDeps } from './deliver.js';
import { publicMessage, statusFor } from './error-response.js';
import { FIREHOSE_HEADERS, firehoseResponse } from './firehose-protocol.js';
import { BadRequestError } from './http-errors.js';
import { readBody } from './read-body.js';

/** POST /firehose: one Firehose delivery → 200 only once every record is written or dead-lettered. */
export function firehoseHandler(deps: DeliveryDeps) {
  return async (c: Context): Promise<Response> => {
    const headerId = c.req.header(FIREHOSE_HEADERS.requestId);
    let requestId = headerId ?? '';
    try {
      requireAccess(c.req.header(FIREHOSE_HEADERS.accessKey), deps);
      const body = await readBody(c.req.raw, deps.limits);
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new BadRequestError(`body is not valid JSON: ${(error as Error).message}`);
      }
      const parsed = parseFirehoseRequest(json);
      if (!parsed.ok) throw new BadRequestError(parsed.error);
      const { request } = parsed;
      if (headerId !== undefined && headerId !== request.requestId) {
        throw new BadRequestError('requestId in the body differs from the X-Amz-Firehose-Request-Id header');
      }
      requestId = request.requestId;
      const decoded = [];
      for (let i = 0; i < request.records.length; i++) {
        const data = request.records[i]!;
        if (data.length > 0) decoded.push(decodeFirehoseRecord(data, i));
      }
      await deliver(decoded, request.records.length, { requestId, source: 'firehose' }, deps);
      return firehoseResponse(requestId, 200);
    } catch (error) {
      const status = statusFor(error, 'firehose');
      deps.log[status >= 500 ? 'error' : 'warn']({ requestId, status, err: error }, 'firehose delivery refused');
      return firehoseResponse(requestId, status, publicMessage(error));
    }
  };
}
