import { describe, expect, it } from 'vitest';
import { parseLambdaEvent } from '../../../src/lambda/lambda-event.js';
import { fixture } from '../../support/fixtures.js';
import { kinesisEvent } from '../../support/lambda-events.js';
import { nowBounds } from '../../support/change-bounds.js';

const entries = (event: unknown) => {
  const parsed = parseLambdaEvent(event, nowBounds);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.entries;
};

describe('parseLambdaEvent', () => {
  it('decodes Kinesis records and keeps their sequence numbers', () => {
    const event = kinesisEvent([fixture('kinesis/seed-insert.json'), fixture('kinesis/seed-remove.json')]);
    const [first, second] = entries(event);
    expect(first).toMatchObject({
      index: 0,
      identifier: event.Records[0]!.kinesis.sequenceNumber,
      decoded: { ok: true, change: { format: 'kinesis', eventName: 'INSERT' } },
    });
    expect(second).toMatchObject({ index: 1, identifier: event.Records[1]!.kinesis.sequenceNumber, decoded: { ok: true, change: { eventName: 'REMOVE' } } });
  });

  it('decodes DynamoDB Streams records and takes their SequenceNumber', () => {
    expect(entries(fixture('streams/lambda-event.json'))).toMatchObject([
      { index: 0, identifier: '111', decoded: { ok: true, change: { format: 'streams', sourceTable: 'TestTable', sequence: '111' } } },
      { index: 1, identifier: '222', decoded: { ok: true, change: { eventName: 'MODIFY' } } },
    ]);
  });

  it('turns bad records into failures that name them, keeping the identifier', () => {
    const event = kinesisEvent(['%%%', fixture('kinesis/seed-insert.json')]);
    const noData = structuredClone(event.Records[1]!) as unknown as { kinesis: Record<string, unknown> };
    delete noData.kinesis.data;
    const streams = fixture('streams/lambda-event.json').Records[0];
    delete streams.dynamodb.Keys;
    const result = entries({ Records: [event.Records[0], noData, 42, streams] });
    expect(result).toEqual([
      {
        index: 0,
        identifier: event.Records[0]!.kinesis.sequenceNumber,
        decoded: { ok: false, index: 0, error: 'Records[0].kinesis.data: not valid base64', payload: '%%%' },
      },
      {
        index: 1,
        identifier: event.Records[1]!.kinesis.sequenceNumber,
        decoded: { ok: false, index: 1, error: 'Records[1].kinesis.data: missing or not a string', payload: JSON.stringify(noData) },
      },
      { index: 2, identifier: null, decoded: { ok: false, index: 2, error: 'Records[2]: not an object', payload: '42' } },
      {
        index: 3,
        identifier: '111',
        decoded: { ok: false, index: 3, error: 'Records[3].dynamodb.Keys: missing or not an object', payload: JSON.stringify(streams) },
      },
    ]);
  });

  it('leaves empty Kinesis data undecoded: there is nothing to apply', () => {
    const event = kinesisEvent(['']);
    expect(entries(event)).toEqual([{ index: 0, identifier: event.Records[0]!.kinesis.sequenceNumber, decoded: null }]);
  });

  it('refuses what is not an event', () => {
    for (const bad of [null, [], { Records: {} }, { records: [] }]) {
      expect(parseLambdaEvent(bad, nowBounds)).toEqual({
        ok: false,
        error: 'not a Kinesis or DynamoDB Streams event: expected an object with a "Records" array',
      });
    }
  });
});
