import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { decodeParsedRecord, type DecodedRecord } from '../decode/decode-record.js';
import { parseRecordsBody } from '../decode/records-body.js';
import { bearerToken } from './access-key.js';
import { deliver, requireAccess, type DeliveryDeps } from './deliver.js';
import { publicMessage, statusFor } from './error-response.js';
import { FIREHOSE_HEADERS } from './firehose-protocol.js';
import { BadRequestError } from './http-errors.js';
import { readBody } from './read-body.js';

/** POST /records: CDC records posted by hand (replays, backfills, tests); answers with the tally. */
export function recordsHandler(deps: DeliveryDeps) {
  return async (c: Context): Promise<Response> => {
    const requestId = c.req.header('x-request-id') ?? randomUUID();
    try {
      requireAccess(c.req.header(FIREHOSE_HEADERS.accessKey) ?? bearerToken(c.req.header('authorization')), deps);
      const body = await readBody(c.req.raw, deps.limits);
      const parsed = parseRecordsBody(body.toString('utf8'));
      if (!parsed.ok) throw new BadRequestError(parsed.error);
      const decoded: DecodedRecord[] = parsed.entries.map((entry, index) =>
        entry.ok
          ? decodeParsedRecord(entry.value, index, entry.path, () => JSON.stringify(entry.value))
          : { ok: false, index, error: entry.error, payload: entry.payload },
      );
      const report = await deliver(decoded, decoded.length, { requestId, source: 'records' }, deps);
      return c.json({ requestId, ...report }, 200);
    } catch (error) {
      const status = statusFor(error, 'records');
      deps.log[status >= 500 ? 'error' : 'warn']({ requestId, status, err: error }, 'records refused');
      return c.json({ requestId, error: publicMessage(error) }, status as 400);
    }
  };
}
