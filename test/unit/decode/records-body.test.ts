import { describe, expect, it } from 'vitest';
import { parseRecordsBody } from '../../../src/decode/records-body.js';
import { fixture } from '../../support/fixtures.js';

const seed = (name: string) => fixture(`kinesis/${name}.json`);

describe('parseRecordsBody', () => {
  it('reads a JSON array (EventBridge Pipes)', () => {
    const records = [seed('seed-insert'), seed('seed-remove')];
    expect(parseRecordsBody(JSON.stringify(records))).toEqual({
      ok: true,
      entries: [
        { ok: true, value: records[0], path: 'records[0]' },
        { ok: true, value: records[1], path: 'records[1]' },
      ],
    });
  });

  it('reads a Lambda event {"Records": [...]}', () => {
    const event = fixture('streams/lambda-event.json');
    expect(parseRecordsBody(JSON.stringify(event))).toEqual({
      ok: true,
      entries: event.Records.map((value: unknown, i: number) => ({ ok: true, value, path: `Records[${i}]` })),
    });
  });

  it('reads a single record, pretty-printed over many lines', () => {
    const record = seed('seed-modify');
    expect(parseRecordsBody(JSON.stringify(record, null, 2))).toEqual({ ok: true, entries: [{ ok: true, value: record, path: 'record' }] });
  });

  it('reads empty arrays', () => {
    expect(parseRecordsBody('[]')).toEqual({ ok: true, entries: [] });
    expect(parseRecordsBody('{"Records":[]}')).toEqual({ ok: true, entries: [] });
  });

  it('reads NDJSON, skipping blank lines and keeping a bad line as a bad entry', () => {
    const [insert, modify] = [seed('seed-insert'), seed('seed-modify')];
    const text = `${JSON.stringify(insert)}\r\n\n{"eventName": "INS\n  ${JSON.stringify(modify)}  \n`;
    const result = parseRecordsBody(text);
    if (!result.ok) throw new Error(result.error);
    expect(result.entries).toHaveLength(3);
    expect(result.entries[0]).toEqual({ ok: true, value: insert, path: 'line 1' });
    expect(result.entries[1]).toMatchObject({
      ok: false,
      payload: '{"eventName": "INS',
      error: expect.stringMatching(/^line 3: not valid JSON \(.+\)$/),
    });
    expect(result.entries[2]).toEqual({ ok: true, value: modify, path: 'line 4' });
  });

  it('passes NDJSON lines that are JSON but not records on to the decoder', () => {
    const lines = parseRecordsBody('1\nnull\n{}');
    expect(lines).toEqual({
      ok: true,
      entries: [
        { ok: true, value: 1, path: 'line 1' },
        { ok: true, value: null, path: 'line 2' },
        { ok: true, value: {}, path: 'line 3' },
      ],
    });
  });

  it('rejects a single line that is not JSON', () => {
    expect(parseRecordsBody('{"eventName":')).toEqual({ ok: false, error: 'body is neither JSON nor NDJSON' });
    expect(parseRecordsBody('')).toEqual({ ok: false, error: 'body is neither JSON nor NDJSON' });
  });

  it.each(['42', '"record"', 'null', 'true'])('rejects the JSON value %s', (text) => {
    expect(parseRecordsBody(text)).toEqual({
      ok: false,
      error: 'body must be a JSON array, an object with "Records", a single record, or NDJSON',
    });
  });

  it('rejects Records that is not an array', () => {
    expect(parseRecordsBody('{"Records":{"eventName":"INSERT"}}')).toEqual({ ok: false, error: 'Records: not an array' });
  });
});

describe('records named in failures as README names them', () => {
  it('records[i] in an array, record alone, Records[i] in an event, line n in NDJSON', async () => {
    const { decodeParsedRecord } = await import('../../../src/decode/decode-record.js');
    const { nowBounds } = await import('../../support/change-bounds.js');
    const errors = ['[{"eventName":"INSERT"}]', '{"eventName":"INSERT"}', '{"Records":[{"eventName":"INSERT"}]}'].map((text) => {
      const parsed = parseRecordsBody(text);
      if (!parsed.ok) throw new Error(parsed.error);
      const entry = parsed.entries[0]!;
      return entry.ok ? decodeParsedRecord(entry.value, 0, entry.path, nowBounds) : entry;
    });
    expect(errors.map((e) => (e.ok ? null : e.error))).toEqual([
      'records[0].dynamodb: missing or not an object',
      'record.dynamodb: missing or not an object',
      'Records[0].dynamodb: missing or not an object',
    ]);
  });
});
