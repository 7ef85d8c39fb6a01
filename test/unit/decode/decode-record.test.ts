import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Record, decodeBytesRecord, decodeFirehoseRecord, decodeParsedRecord, type DecodedRecord } from '../../../src/decode/decode-record.js';
import { fixture } from '../../support/fixtures.js';
import { encodeRecord } from '../../support/firehose.js';
import { nowBounds } from '../../support/change-bounds.js';
import { replaceAt } from '../../support/replace-at.js';

const failure = (result: DecodedRecord) => {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.change)}`);
  return result;
};

describe('decodeFirehoseRecord', () => {
  it('decodes base64 → UTF-8 → JSON → Change', () => {
    const result = decodeFirehoseRecord(encodeRecord(fixture('kinesis/millisecond-modify-unicode.json')), 4, nowBounds);
    expect(result).toMatchObject({ ok: true, index: 4, change: { sourceTable: 'cities', eventName: 'MODIFY', pk: '{"key":"t0926"}' } });
  });

  it('rejects invalid base64 that Buffer would accept, naming the record', () => {
    const data = encodeRecord(fixture('kinesis/seed-insert.json')).replace(/=+$/, '');
    expect(Buffer.from(data, 'base64').length).toBeGreaterThan(0);
    expect(failure(decodeFirehoseRecord(data, 3, nowBounds))).toEqual({ ok: false, index: 3, error: 'records[3].data: not valid base64', payload: data });
  });

  it('rejects invalid UTF-8', () => {
    const data = Buffer.concat([Buffer.from('{"eventName":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]).toString('base64');
    expect(failure(decodeFirehoseRecord(data, 0, nowBounds)).error).toBe('records[0].data: not valid UTF-8');
  });

  it('rejects text that is not JSON, like the records of the AWS spec example', () => {
    const [hello] = fixture('firehose-spec-request.json').records;
    expect(failure(decodeFirehoseRecord(hello.data, 1, nowBounds)).error).toMatch(/^records\[1\]\.data: not valid JSON \(/);
  });

  it('rejects empty data', () => {
    const result = failure(decodeFirehoseRecord('', 0, nowBounds));
    expect(result.payload).toBe('');
    expect(result.error).toMatch(/^records\[0\]\.data: not valid JSON/);
  });

  it('names the field inside the record', () => {
    const record = fixture('kinesis/seed-insert.json');
    record.dynamodb.NewImage.humidity = { N: '1E+200' };
    expect(failure(decodeFirehoseRecord(encodeRecord(record), 7, nowBounds)).error).toMatch(
      /^records\[7\]\.data\.dynamodb\.NewImage\["humidity"\]\.N: number outside DynamoDB range/,
    );
  });

  it('turns input nested deep enough to exhaust the stack into a failure', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const data = Buffer.from(`{"dynamodb":{},"eventName":${deep}}`).toString('base64');
    expect(failure(decodeFirehoseRecord(data, 0, nowBounds)).error).toMatch(/^record too deeply nested/);
  });

  it('never throws for any string', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), (data, index) => {
        const result = decodeFirehoseRecord(data, index, nowBounds);
        expect(result.ok).toBe(false);
        expect(result.index).toBe(index);
      }),
    );
  });
});

describe('decodeParsedRecord', () => {
  it('decodes a parsed record', () => {
    const [record] = fixture('streams/lambda-event.json').Records;
    expect(decodeParsedRecord(record, 0, 'Records[0]', nowBounds)).toMatchObject({
      ok: true,
      index: 0,
      change: { format: 'streams', sequence: '111' },
    });
  });

  it('renders the payload for a failure', () => {
    const record = fixture('kinesis/seed-insert.json');
    delete record.eventID;
    expect(decodeParsedRecord(record, 2, 'Records[2]', nowBounds)).toEqual({
      ok: false,
      index: 2,
      error: 'Records[2].eventID: missing or not a string',
      payload: JSON.stringify(record),
    });
  });

  it('never throws for arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = decodeParsedRecord(value, 0, 'line 1', nowBounds);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.error).toMatch(/^line 1[.:]/);
      }),
    );
  });

  it('never throws for a real record with any field replaced by arbitrary JSON', () => {
    const names = ['seed-insert', 'seed-modify', 'seed-remove', 'binary-double-base64-modify', 'millisecond-modify-unicode'];
    const records = [...names.map((name) => () => fixture(`kinesis/${name}.json`)), () => fixture('streams/lambda-event.json').Records[1]];
    const mutation = fc.record({
      record: fc.integer({ min: 0, max: records.length - 1 }),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom<unknown>(undefined, { S: 'x' }, { N: '1e5' }, { B: 'AA==' }, { L: [] }, { SS: [] })),
    });
    fc.assert(
      fc.property(mutation, ({ record, picks, value }) => {
        const input = records[record]!();
        replaceAt(input, picks, value);
        const result = decodeParsedRecord(input, 5, 'Records[5]', nowBounds);
        if (!result.ok) {
          expect(result.index).toBe(5);
          expect(result.error).toMatch(/^Records\[5\][.:]/);
        }
      }),
    );
  });
});

describe('decodeBase64Record', () => {
  it('decodes like a Firehose record and names the field by the given path', () => {
    const data = encodeRecord(fixture('kinesis/seed-insert.json'));
    expect(decodeBase64Record(data, 2, 'Records[2].kinesis.data', nowBounds)).toMatchObject({ ok: true, index: 2, change: { sourceTable: 'table-testdrive' } });
    expect(failure(decodeBase64Record('@@', 2, 'Records[2].kinesis.data', nowBounds)).error).toBe('Records[2].kinesis.data: not valid base64');
  });
});

describe('decodeBytesRecord (a Kinesis record read by the consumer)', () => {
  const bounds = nowBounds;
  it('answers what decodeBase64Record answers for the same bytes, a dead letter keeping them as base64', () => {
    const good = Buffer.from(encodeRecord(fixture('kinesis/seed-insert.json')), 'base64');
    const bad = Buffer.from([0x7b, 0xff, 0x7d]);
    for (const bytes of [good, bad]) {
      expect(decodeBytesRecord(bytes, 3, 'Records[3].Data', bounds)).toEqual(decodeBase64Record(bytes.toString('base64'), 3, 'Records[3].Data', bounds));
    }
    expect(decodeBytesRecord(bad, 3, 'Records[3].Data', bounds)).toMatchObject({
      ok: false,
      payload: bad.toString('base64'),
      error: expect.stringMatching(/^Records\[3\]\.Data/),
    });
  });
});
