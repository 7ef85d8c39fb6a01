import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeFirehoseBody, decodeParsedFirehoseBody, type FirehoseBodyResult } from '../../../src/decode/firehose-body.js';
import { encodeRecord, firehoseBody } from '../../support/firehose.js';
import { seedRecords } from '../../support/fixtures.js';
import { kinesisRecord } from '../../support/records.js';
import { nowBounds } from '../../support/change-bounds.js';

// The plain way (JSON.parse of the whole body) is what the endpoint tests and the corpus check.
const reference = decodeParsedFirehoseBody;

/** Calls to JSON.parse with a text at least `length` long: the whole body parsed at once. */
function wholeBodyParses(run: () => unknown, length: number): number {
  const spy = vi.spyOn(JSON, 'parse');
  run();
  return spy.mock.calls.filter(([text]) => typeof text === 'string' && text.length >= length).length;
}

afterEach(() => {
  vi.restoreAllMocks();
});

const seedData = seedRecords().map((r) => encodeRecord(r));
// Record data as it may appear between the quotes: JSON-escaped, or raw bytes JSON.parse may refuse.
const dataText = fc.oneof(
  fc.constantFrom(...seedData, '', 'not base64!', 'aGVsbG8=', 'QUJD RA==').map((d) => JSON.stringify(d)),
  fc.string({ unit: 'binary', maxLength: 12 }).map((d) => JSON.stringify(d)),
  fc.constantFrom('QUJD\tRA==', 'QUJD\u0001', 'é', 'QUJD€', 'x\u007f').map((d) => `"${d}"`),
  fc.constantFrom(...seedData).map((d) => JSON.stringify(d).replaceAll('/', '\\/')),
);
const ws = fc.constantFrom('', ' ', '\n', '\r\n  ', '\t');

const envelopeBytes = fc
  .record({
    requestId: fc.oneof(fc.constantFrom('ed4acda5-034f-9f42-bba1-f29aea6d7d8f', '', 'é-id', 'a"b'), fc.string({ maxLength: 8 })),
    timestamp: fc.constantFrom('1578090901599', '-0', '1.5e3', '1e400', '"1578090901599"', '01', '1.'),
    records: fc.array(fc.tuple(dataText, ws, ws), { maxLength: 6 }),
    order: fc.constantFrom([0, 1, 2], [2, 0, 1], [1, 2, 0]),
    extra: fc.constantFrom('', '"extra":true', '"records":[]', '"requestId":"other"'),
    space: ws,
    invalidUtf8: fc.boolean(),
    cut: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ requestId, timestamp, records, order, extra, space, invalidUtf8, cut }) => {
    const items = records.map(([data, a, b]) => `${a}{${b}"data"${a}:${b}${data}}${a}`).join(',');
    const fields = [`"requestId":${space}${JSON.stringify(requestId)}`, `"timestamp":${timestamp}`, `"records":[${items}]`];
    const ordered = order.map((i) => fields[i]!);
    if (extra) ordered.push(extra);
    let bytes = Buffer.from(`${space}{${space}${ordered.join(`${space},`)}${space}}${space}`);
    if (invalidUtf8) bytes = Buffer.concat([bytes.subarray(0, bytes.length >> 1), Buffer.from([0xff]), bytes.subarray(bytes.length >> 1)]);
    return cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
  });

describe('decodeFirehoseBody', () => {
  it('means what JSON.parse of the whole body means, for any body', () => {
    fc.assert(
      fc.property(envelopeBytes, (bytes) => {
        expect(decodeFirehoseBody(bytes, nowBounds)).toEqual(reference(bytes, nowBounds));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads AWS's example request, pretty-printed, without parsing the whole body", () => {
    const bytes = readFileSync(new URL('../../fixtures/firehose-spec-request.json', import.meta.url));
    let result: FirehoseBodyResult | undefined;
    expect(wholeBodyParses(() => (result = decodeFirehoseBody(bytes, nowBounds)), bytes.length / 2)).toBe(0);
    expect(result).toEqual(reference(bytes, nowBounds));
    expect(result).toMatchObject({ ok: true, body: { requestId: 'ed4acda5-034f-9f42-bba1-f29aea6d7d8f', timestamp: 1578090901599, received: 2 } });
  });

  it("decodes Firehose's bodies record by record, never the whole body as one text", () => {
    const body = firehoseBody([...seedRecords(), 'not base64!', '']);
    const bytes = Buffer.from(JSON.stringify(body));
    let result: FirehoseBodyResult | undefined;
    expect(wholeBodyParses(() => (result = decodeFirehoseBody(bytes, nowBounds)), bytes.length / 2)).toBe(0);
    if (!result?.ok) throw new Error('expected the body to decode');
    expect(result.body.received).toBe(5);
    expect(result.body.decoded.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(result.body.decoded[3]).toMatchObject({ index: 3, error: 'records[3].data: not valid base64', payload: 'not base64!' });
  });

  it('leaves a body with a record JSON.parse would refuse to JSON.parse, and says what it says', () => {
    const bytes = Buffer.from(JSON.stringify(firehoseBody(seedRecords())).replace('"data":"', '"data":"\u0001'));
    let result: FirehoseBodyResult | undefined;
    expect(wholeBodyParses(() => (result = decodeFirehoseBody(bytes, nowBounds)), bytes.length / 2)).toBe(1);
    expect(result).toMatchObject({ ok: false, error: expect.stringMatching(/^body is not valid JSON: Bad control character/) });
  });

  it('reads a body of many records, several batches of strings made together, as the plain way reads each', () => {
    // About 5 MB of records: the usual ones beside ones the byte reader leaves to the text (non-ASCII, an escape), failures, empty ones and deletes.
    const micros = Date.now() * 1000 - 1_000_000;
    const records = Array.from({ length: 5000 }, (_, i) => {
      if (i % 997 === 5) return 'not base64!';
      if (i % 1009 === 7) return '';
      const note = i % 101 === 3 ? `é ${i}` : i % 103 === 4 ? `say "${i}"` : `n${i}-${'x'.repeat(i % 700)}`;
      return kinesisRecord({
        id: `r${i}`,
        micros: micros + i,
        eventName: i % 13 === 0 ? 'REMOVE' : 'INSERT',
        attributes: { note: { S: note }, n: { N: String(i) } },
      });
    });
    const bytes = Buffer.from(JSON.stringify(firehoseBody(records)));
    const result = decodeFirehoseBody(bytes, nowBounds);
    expect(result).toEqual(reference(bytes, nowBounds));
    if (!result.ok) throw new Error('expected the body to decode');
    expect(result.body.decoded.filter((r) => r.ok)).toHaveLength(5000 - 6 - 5);

    // A record refused late (a control character) sends the whole body the plain way; what the
    // batch held by then is forgotten, and the next body reads as it should.
    const text = JSON.stringify(firehoseBody(records.slice(0, 3000)));
    const last = text.lastIndexOf('"data":"') + 8;
    const refused = Buffer.from(`${text.slice(0, last)}\u0001${text.slice(last)}`);
    expect(decodeFirehoseBody(refused, nowBounds)).toEqual(reference(refused, nowBounds));
    const next = Buffer.from(JSON.stringify(firehoseBody(records.slice(1000, 2000))));
    expect(decodeFirehoseBody(next, nowBounds)).toEqual(reference(next, nowBounds));
  });
});
