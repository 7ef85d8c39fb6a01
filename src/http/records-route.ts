import { randomUUID } from 'node:crypto';
import { decodeParsedRecord, type DecodedRecord } from '../decode/decode-record.js';
import { parseRecordsBody } from '../decode/records-body.js';
import { decodeUtf8 } from '../decode/utf8-json.js';
import { bearerToken } from './access-key.js';
import type { DeliveryDeps } from './deliver.js';
import { deliveryHandler, type DeliveryEndpoint } from './delivery-handler.js';
import { FIREHOSE_HEADERS } from './firehose-protocol.js';
import { badRequest } from './http-errors.js';

/** POST /records: CDC records posted by hand (replays, backfills, tests); answers with the tally. */
const recordsEndpoint: DeliveryEndpoint = {
  name: 'records',
  requestId: (c) => c.req.header('x-request-id') ?? randomUUID(),
  presentedKey: (c) => c.req.header(FIREHOSE_HEADERS.accessKey) ?? bearerToken(c.req.header('authorization')),
  parse(body, requestId, _c, bounds) {
    const parsed = parseRecordsBody(bodyText(body));
    if (!parsed.ok) throw badRequest(parsed.error);
    const decoded: DecodedRecord[] = parsed.entries.map((entry, index) =>
      entry.ok ? decodeParsedRecord(entry.value, index, entry.path, bounds) : { ok: false, index, error: entry.error, payload: entry.payload },
    );
    return { requestId, received: decoded.length, decoded };
  },
  success: (c, requestId, report) => c.json({ requestId, ...report }, 200),
  failure: (c, requestId, status, message) => c.json({ requestId, error: message }, status as 400),
};

/**
 * The body as text, refused whole (400) when it is not valid UTF-8: a JSON array cannot be split
 * into records before it is text, and replacing bad bytes with U+FFFD would write data that was
 * never sent. (/firehose dead-letters such a record alone: each one is base64 of its own bytes.)
 */
function bodyText(body: Buffer): string {
  try {
    return decodeUtf8(body, '');
  } catch {
    throw badRequest('body is not valid UTF-8: nothing was written (send the records as UTF-8)');
  }
}

export const recordsHandler = (deps: DeliveryDeps) => deliveryHandler(recordsEndpoint, deps);
