import { describe, expect, it } from 'vitest';
import { parseFirehoseRequest } from '../../../src/decode/firehose-request.js';
import { fixture } from '../../support/fixtures.js';

describe('parseFirehoseRequest', () => {
  it("reads AWS's example request", () => {
    expect(parseFirehoseRequest(fixture('firehose-spec-request.json'))).toEqual({
      ok: true,
      request: { requestId: 'ed4acda5-034f-9f42-bba1-f29aea6d7d8f', timestamp: 1578090901599, records: ['aGVsbG8=', 'aGVsbG8gd29ybGQ='] },
    });
  });

  it('accepts an empty records array and empty data, both legal', () => {
    const body = fixture('firehose-spec-request.json');
    body.records = [];
    expect(parseFirehoseRequest(body)).toMatchObject({ ok: true, request: { records: [] } });
    body.records = [{ data: '' }];
    expect(parseFirehoseRequest(body)).toMatchObject({ ok: true, request: { records: [''] } });
  });

  it('leaves the data undecoded: a bad record is not a bad request', () => {
    const body = fixture('firehose-spec-request.json');
    body.records.push({ data: 'not base64!' });
    expect(parseFirehoseRequest(body)).toMatchObject({ ok: true, request: { records: ['aGVsbG8=', 'aGVsbG8gd29ybGQ=', 'not base64!'] } });
  });

  it('ignores fields it does not know', () => {
    const body = fixture('firehose-spec-request.json');
    body.extra = true;
    body.records[0].other = 1;
    expect(parseFirehoseRequest(body).ok).toBe(true);
  });

  it.each([null, [], 'body', 1])('rejects a body that is %j', (body) => {
    expect(parseFirehoseRequest(body)).toEqual({ ok: false, error: 'body is not a JSON object' });
  });

  it.each([
    ['requestId', undefined, 'requestId: missing or not a string'],
    ['requestId', '', 'requestId: missing or not a string'],
    ['requestId', 42, 'requestId: missing or not a string'],
    ['timestamp', undefined, 'timestamp: missing or not a number'],
    ['timestamp', '1578090901599', 'timestamp: missing or not a number'],
    ['records', undefined, 'records: missing or not an array'],
    ['records', { data: 'aGVsbG8=' }, 'records: missing or not an array'],
  ])('rejects %s = %j', (field, value, error) => {
    const body = fixture('firehose-spec-request.json');
    if (value === undefined) delete body[field];
    else body[field] = value;
    expect(parseFirehoseRequest(body)).toEqual({ ok: false, error });
  });

  it.each([[{}], [{ data: 1 }], [{ data: null }], ['aGVsbG8='], [null]])('names the record that is not {data: string}: %j', (bad) => {
    const body = fixture('firehose-spec-request.json');
    body.records.splice(1, 0, bad);
    expect(parseFirehoseRequest(body)).toEqual({ ok: false, error: 'records[1]: not an object with a string "data"' });
  });
});
