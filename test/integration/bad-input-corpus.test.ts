import { gzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { ACCESS_KEY, encodeRecord, firehoseBody, firehoseRequest } from '../support/firehose.js';
import { readJson } from '../support/read-json.js';
import { kinesisRecord } from '../support/records.js';
import { reassemble } from '../support/reassemble.js';
import { describeTargets, sinkTargets } from '../support/sinks.js';

// The bad-input corpus: every case gets a clear answer (status and message) or a dead letter
// naming what is wrong, and the good records delivered beside it are written all the same.

type Rec = Record<string, any>;
const base = (id: string) => kinesisRecord({ table: 'corpus', id, micros: 1_000 });
const edit = (id: string, change: (r: Rec) => void): Rec => {
  const r = base(id) as Rec;
  change(r);
  return r;
};
const removeWithout = (field: string): Rec => {
  const r = kinesisRecord({ table: 'corpus', id: 'gone', eventName: 'REMOVE', micros: 1_000 }) as Rec;
  delete r.dynamodb[field];
  return r;
};
const nested = (depth: number): unknown => (depth === 0 ? { S: 'deep' } : { M: { d: nested(depth - 1) } });
const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');

/** [case, the record's Firehose `data` (base64), what the dead letter's error must say] */
const poison: [string, string, RegExp][] = [
  ['data not base64 (bad characters)', 'not*base64!', /records\[1\]\.data: not valid base64/],
  ['data base64 without padding', 'aGVsbG8', /not valid base64/],
  ['data decodes to bytes that are not UTF-8', b64(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/],
  ['data is not JSON', b64('hello world'), /not valid JSON/],
  ['data is truncated JSON', b64(JSON.stringify(base('t')).slice(0, 60)), /not valid JSON/],
  ['record is a JSON array', encodeRecord('[1,2,3]'), /not a JSON object/],
  ['record is a JSON string', encodeRecord('"INSERT"'), /not a JSON object/],
  ['unknown eventName', encodeRecord(edit('x', (r) => (r.eventName = 'UPSERT'))), /eventName: unknown eventName "UPSERT"/],
  ['eventName missing', encodeRecord(edit('x', (r) => delete r.eventName)), /eventName/],
  ['eventName of the wrong type', encodeRecord(edit('x', (r) => (r.eventName = 7))), /eventName/],
  ['eventID missing', encodeRecord(edit('x', (r) => delete r.eventID)), /eventID: missing or not a string/],
  ['dynamodb missing', encodeRecord(edit('x', (r) => delete r.dynamodb)), /dynamodb: missing or not an object/],
  ['dynamodb is a string', encodeRecord(edit('x', (r) => (r.dynamodb = 'INSERT'))), /dynamodb: missing or not an object/],
  ['REMOVE without Keys', encodeRecord(removeWithout('Keys')), /dynamodb\.Keys: missing or not an object/],
  ['Keys empty', encodeRecord(edit('x', (r) => (r.dynamodb.Keys = {}))), /dynamodb\.Keys: must hold one or two key attributes/],
  ['three key attributes', encodeRecord(edit('x', (r) => (r.dynamodb.Keys = { a: { S: '1' }, b: { S: '2' }, c: { S: '3' } }))), /one or two key attributes/],
  ['key attribute of type BOOL', encodeRecord(edit('x', (r) => (r.dynamodb.Keys = { id: { BOOL: true } }))), /a key attribute must be of type S, N or B/],
  ['NewImage without Keys', encodeRecord(edit('x', (r) => delete r.dynamodb.Keys)), /dynamodb\.Keys: missing or not an object/],
  [
    'NewImage without the key attributes',
    encodeRecord(edit('x', (r) => delete r.dynamodb.NewImage.id)),
    /NewImage\["id"\]: key attribute missing from the image/,
  ],
  ['NewImage key differs from Keys', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.id = { S: 'other' }))), /differs from Keys/],
  ['Kinesis INSERT without NewImage', encodeRecord(edit('x', (r) => delete r.dynamodb.NewImage)), /NewImage: missing/],
  ['N that is not a number', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.n = { N: 'abc' }))), /NewImage\["n"\]\.N: not a DynamoDB number/],
  ['N with 39 significant digits', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.n = { N: '1'.repeat(39) }))), /more than 38 significant digits/],
  ['N beyond DynamoDB range', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.n = { N: '1E+126' }))), /outside DynamoDB range/],
  ['S of the wrong type', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.s = { S: 5 }))), /NewImage\["s"\]\.S: not a string/],
  ['attribute value with two types', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.v = { S: 'a', N: '1' }))), /NewImage\["v"\]: not an AttributeValue/],
  ['unknown attribute type', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.v = { X: 'a' }))), /not an AttributeValue/],
  ['empty string set', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.v = { SS: [] }))), /\.SS: a set cannot be empty/],
  ['BOOL as a string', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.v = { BOOL: 'true' }))), /\.BOOL: not a boolean/],
  ['NULL false', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.v = { NULL: false }))), /\.NULL: must be true/],
  ['L that is not a list', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.v = { L: { a: 1 } }))), /\.L: not an array/],
  ['nesting past 32 levels', encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.v = nested(40)))), /nested deeper than 32 levels/],
  [
    'binary not base64-encoded twice (Kinesis)',
    encodeRecord(edit('x', (r) => (r.dynamodb.NewImage.b = { B: b64('not base64 inside') }))),
    /\.B: not valid double base64/,
  ],
  [
    'timestamp as a string',
    encodeRecord(edit('x', (r) => (r.dynamodb.ApproximateCreationDateTime = '2024-07-12'))),
    /ApproximateCreationDateTime: missing or not a positive integer/,
  ],
  ['negative timestamp', encodeRecord(edit('x', (r) => (r.dynamodb.ApproximateCreationDateTime = -5))), /ApproximateCreationDateTime/],
  [
    'unknown timestamp precision',
    encodeRecord(edit('x', (r) => (r.dynamodb.ApproximateCreationDateTimePrecision = 'NANOSECOND'))),
    /unknown precision "NANOSECOND"/,
  ],
  ['tableName missing', encodeRecord(edit('x', (r) => delete r.tableName)), /tableName: missing or not a string/],
  [
    'Streams record with a malformed eventSourceARN',
    encodeRecord(
      edit('x', (r) => {
        delete r.tableName;
        r.eventVersion = '1.1';
        r.eventSourceARN = 'arn:aws:s3:::bucket';
      }),
    ),
    /eventSourceARN: missing or not a DynamoDB stream ARN/,
  ],
  [
    'Streams SequenceNumber that is not digits',
    encodeRecord(
      edit('x', (r) => {
        r.eventVersion = '1.1';
        r.dynamodb.ApproximateCreationDateTime = 1_720_000_000;
        r.dynamodb.SequenceNumber = '12ab';
      }),
    ),
    /SequenceNumber: not a decimal string/,
  ],
];

it(`the bad-input corpus has at least 30 poison records (${poison.length})`, () => {
  expect(poison.length).toBeGreaterThanOrEqual(30);
});

// The longest delivery deadline Firehose allows: 10,000 rows into the stand-in, one by one, on a busy machine.
describeTargets('bad-input corpus: poison records into', sinkTargets, { DELIVERY_TIMEOUT_SECONDS: '170' }, (h, target) => {
  it.each(poison)('%s: dead-lettered with a clear reason, the records beside it written', async (name, data, reason) => {
    const slug = name.replace(/[^a-z0-9]+/gi, '-');
    const before = kinesisRecord({ table: 'corpus', id: `${slug}-before`, micros: 2_000 });
    const after = kinesisRecord({ table: 'corpus', id: `${slug}-after`, micros: 2_000 });
    const body = firehoseBody([before, data, after]);
    const response = await h.app.request(firehoseRequest(body));
    expect(response.status).toBe(200);
    expect(Object.keys(await readJson(response)).sort()).toEqual(['requestId', 'timestamp']);
    const letters = await h.deadLetters({ requestId: body.requestId });
    expect(letters).toHaveLength(1);
    expect(letters[0]!.error).toMatch(reason);
    expect(letters[0]!.error.startsWith('records[1].data')).toBe(true);
    expect(letters[0]!).toMatchObject({ payload: data, record_index: 1 });
    for (const id of [`${slug}-before`, `${slug}-after`]) expect(await h.row('corpus', { id }), id).toMatchObject({ deleted: false });
  });

  it('a huge attribute name (64 KiB) and a 400 KB item are written whole, not refused', async () => {
    const big = kinesisRecord({
      table: 'corpus',
      id: 'big',
      micros: 3_000,
      attributes: { ['n'.repeat(65_536)]: { S: 'v' }, blob: { S: 'x'.repeat(400_000) } },
    });
    const response = await h.app.request(firehoseRequest(firehoseBody([big, base('beside-big')])));
    expect(response.status, await response.clone().text()).toBe(200);
    const row = (await h.row('corpus', { id: 'big' }))!;
    const item = JSON.parse(row.item) as Record<string, string>;
    expect({ nameLength: Math.max(...Object.keys(item).map((k) => k.length)), blobLength: item.blob!.length }).toEqual({
      nameLength: 65_536,
      blobLength: 400_000,
    });
    // What `data` holds plus what `aux` kept aside (CrateDB) is the whole item too.
    expect(reassemble(row.data, row.aux)).toEqual(item);
  });

  it(
    '10,000 records in one delivery, one in a hundred poison: every good one written, every poison one dead-lettered',
    async () => {
      const records = Array.from({ length: 10_000 }, (_, i) =>
        i % 100 === 7 ? `bad!${i}` : kinesisRecord({ table: 'corpus_bulk', id: `k${i}`, micros: 5_000 + i }),
      );
      const body = firehoseBody(records);
      const response = await h.app.request(firehoseRequest(body, { gzip: true }));
      expect(response.status).toBe(200);
      expect(await h.pks('corpus_bulk')).toHaveLength(9_900);
      const letters = await h.deadLetters({ requestId: body.requestId });
      expect(letters.map((l) => l.record_index)).toEqual(Array.from({ length: 100 }, (_, i) => i * 100 + 7));
    },
    60_000 * target.timeScale,
  );
});

// Records of requests that must be refused whole; their table must never appear.
const refusedRecord = () => kinesisRecord({ table: 'corpus-refused', id: 'a', micros: 1 });

/** [case, how to build the request, status, what errorMessage must say] */
const refused: [string, () => Request, number, RegExp][] = [
  ['truncated JSON body', () => rawRequest(JSON.stringify(firehoseBody([refusedRecord()])).slice(0, 40)), 400, /not valid JSON/],
  ['invalid JSON body', () => rawRequest('{"requestId": "r", records: }'), 400, /not valid JSON/],
  ['body is a JSON array', () => rawRequest('[]'), 400, /not a JSON object/],
  ['requestId missing', () => rawRequest(JSON.stringify({ timestamp: 1, records: [] }), { requestId: null }), 400, /requestId/],
  ['requestId of the wrong type', () => rawRequest(JSON.stringify({ requestId: 5, timestamp: 1, records: [] }), { requestId: null }), 400, /requestId/],
  ['timestamp as a string', () => rawRequest(JSON.stringify({ requestId: 'r', timestamp: 'now', records: [] }), { requestId: 'r' }), 400, /timestamp/],
  [
    'records not an array',
    () => rawRequest(JSON.stringify({ requestId: 'r', timestamp: 1, records: 'x' }), { requestId: 'r' }),
    400,
    /records: missing or not an array/,
  ],
  [
    'a record without data',
    () => rawRequest(JSON.stringify({ requestId: 'r', timestamp: 1, records: [{ data: '' }, { value: 'x' }] }), { requestId: 'r' }),
    400,
    /records\[1\]/,
  ],
  [
    'a record whose data is a number',
    () => rawRequest(JSON.stringify({ requestId: 'r', timestamp: 1, records: [{ data: 5 }] }), { requestId: 'r' }),
    400,
    /records\[0\]/,
  ],
  ['header and body request ids differ', () => firehoseRequest(firehoseBody([refusedRecord()], 'body-id'), { requestId: 'header-id' }), 400, /differs/],
  [
    'Content-Encoding br',
    () => rawRequest(JSON.stringify(firehoseBody([refusedRecord()])), { encoding: 'br' }),
    400,
    /^unsupported Content-Encoding \(expected gzip or none\)$/,
  ],
  ['Content-Encoding gzip over a plain body', () => rawRequest(JSON.stringify(firehoseBody([refusedRecord()])), { encoding: 'gzip' }), 400, /not valid gzip/],
  ['truncated gzip body', () => rawRequest(gzipSync(JSON.stringify(firehoseBody([refusedRecord()]))).subarray(0, 30), { encoding: 'gzip' }), 400, /gzip/],
  ['no access key', () => firehoseRequest(firehoseBody([refusedRecord()]), { accessKey: null }), 401, /access key missing/],
  ['a wrong access key', () => firehoseRequest(firehoseBody([refusedRecord()]), { accessKey: 'nope' }), 401, /access key invalid/],
];

function rawRequest(body: string | Uint8Array, options: { requestId?: string | null; encoding?: string } = {}): Request {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-firehose-access-key': ACCESS_KEY };
  if (options.requestId !== null) headers['x-amz-firehose-request-id'] = options.requestId ?? 'corpus-request';
  if (options.encoding) headers['content-encoding'] = options.encoding;
  return new Request('http://sink.test/firehose', { method: 'POST', headers, body });
}

describeTargets('bad-input corpus: requests that are not Firehose deliveries, into', sinkTargets, {}, (h) => {
  it.each(refused)('%s: answered %i with a clear errorMessage, nothing written', async (_name, build, status, message) => {
    const response = await h.app.request(build());
    expect(response.status).toBe(status);
    const answer = await readJson(response);
    expect(Object.keys(answer).sort()).toEqual(['errorMessage', 'requestId', 'timestamp']);
    expect(answer.errorMessage).toMatch(message);
    expect(await h.tableExists('corpus_refused')).toBe(false);
  });
});
