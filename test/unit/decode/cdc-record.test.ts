import { describe, expect, it } from 'vitest';
import { decodeCdcRecord } from '../../../src/decode/cdc-record.js';
import { decodeErrorOf } from '../../support/decode-errors.js';
import { fixture } from '../../support/fixtures.js';

const TTL_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };
const streamsRecord = (index: 0 | 1) => fixture('streams/lambda-event.json').Records[index];

describe('Kinesis-for-DynamoDB records', () => {
  it('decodes the seed INSERT', () => {
    expect(decodeCdcRecord(fixture('kinesis/seed-insert.json'))).toEqual({
      format: 'kinesis',
      sourceTable: 'table-testdrive',
      eventId: 'b015b5f0-c095-4b50-8ad0-4279aa3d88c6',
      eventName: 'INSERT',
      ttl: false,
      version: 1720740233012995,
      sequence: null,
      pk: '{"device":"qux","timestamp":"2024-07-12T01:17:42"}',
      keysJson: '{"device":"qux","timestamp":"2024-07-12T01:17:42"}',
      newImageJson: '{"humidity":84.84,"temperature":42.42,"device":"qux","timestamp":"2024-07-12T01:17:42"}',
      oldImageJson: null,
    });
  });

  it('decodes the seed MODIFY with both images', () => {
    const change = decodeCdcRecord(fixture('kinesis/seed-modify.json'));
    expect(change).toMatchObject({ eventName: 'MODIFY', version: 1720742302233719 });
    expect(JSON.parse(change.newImageJson!)).toMatchObject({ temperature: 55.66 });
    expect(JSON.parse(change.oldImageJson!)).toMatchObject({ temperature: 42.42 });
  });

  it('decodes the seed REMOVE: no new image, the old image kept', () => {
    const change = decodeCdcRecord(fixture('kinesis/seed-remove.json'));
    expect(change).toMatchObject({
      eventName: 'REMOVE',
      ttl: false,
      newImageJson: null,
      pk: '{"device":"foo","timestamp":"2024-07-12T01:17:42"}',
    });
    expect(JSON.parse(change.oldImageJson!)).toMatchObject({ device: 'foo', temperature: 55.66 });
  });

  it('decodes binary twice: RWdJSWV3PT0= is stored as EgIIew==, the bytes 18 2 8 123', () => {
    const change = decodeCdcRecord(fixture('kinesis/binary-double-base64-modify.json'));
    const stored = JSON.parse(change.newImageJson!) as { binaryData: string };
    expect(stored).toEqual({ id: '1', binaryData: 'EgIIew==' });
    expect([...Buffer.from(stored.binaryData, 'base64')]).toEqual([18, 2, 8, 123]);
    expect(JSON.parse(change.oldImageJson!)).toEqual({ id: '1', binaryData: 'EwIIew==' });
  });

  it('keeps non-ASCII text', () => {
    const change = decodeCdcRecord(fixture('kinesis/millisecond-modify-unicode.json'));
    expect(JSON.parse(change.newImageJson!)).toEqual({ population: 54148, key: 't0926', name: '下野', date_mod: '1950-9-7' });
  });

  it('rejects a single-encoded binary value', () => {
    const record = fixture('kinesis/binary-double-base64-modify.json');
    record.dynamodb.NewImage.binaryData.B = 'EgIIew==';
    expect(decodeErrorOf(() => decodeCdcRecord(record)).path).toBe('dynamodb.NewImage["binaryData"].B');
  });

  it('requires the new image on INSERT and MODIFY', () => {
    for (const name of ['seed-insert', 'seed-modify']) {
      const record = fixture(`kinesis/${name}.json`);
      delete record.dynamodb.NewImage;
      expect(decodeErrorOf(() => decodeCdcRecord(record)).message).toBe(
        `dynamodb.NewImage: missing: a Kinesis ${record.eventName} record carries the new item`,
      );
    }
  });

  it('requires tableName', () => {
    const record = fixture('kinesis/seed-insert.json');
    delete record.tableName;
    expect(decodeErrorOf(() => decodeCdcRecord(record)).message).toBe('tableName: missing or not a string');
    record.tableName = '';
    expect(decodeErrorOf(() => decodeCdcRecord(record)).path).toBe('tableName');
  });
});

describe('version: ApproximateCreationDateTime in microseconds', () => {
  const withTime = (value: unknown, precision?: unknown) => {
    const record = fixture('kinesis/seed-insert.json');
    record.dynamodb.ApproximateCreationDateTime = value;
    if (precision === undefined) delete record.dynamodb.ApproximateCreationDateTimePrecision;
    else record.dynamodb.ApproximateCreationDateTimePrecision = precision;
    return record;
  };

  it('takes MICROSECOND timestamps as they are', () => {
    expect(decodeCdcRecord(withTime(1720740233012995, 'MICROSECOND')).version).toBe(1720740233012995);
  });

  it('scales milliseconds, which arrive without the precision field', () => {
    expect(decodeCdcRecord(fixture('kinesis/binary-double-base64-modify.json')).version).toBe(1654699573622000);
    expect(decodeCdcRecord(fixture('kinesis/millisecond-modify-unicode.json')).version).toBe(1651495525900000);
    expect(decodeCdcRecord(withTime(1720740233012)).version).toBe(1720740233012000);
  });

  it('scales an explicit MILLISECOND precision', () => {
    expect(decodeCdcRecord(withTime(1720740233012, 'MILLISECOND')).version).toBe(1720740233012000);
  });

  it('trusts the precision field over the magnitude', () => {
    expect(decodeCdcRecord(withTime(1720740233012, 'MICROSECOND')).version).toBe(1720740233012);
  });

  it('recognises microseconds by magnitude when the field is absent', () => {
    expect(decodeCdcRecord(withTime(1720740233012995)).version).toBe(1720740233012995);
  });

  it('orders a millisecond record and a microsecond record of the same moment alike', () => {
    const ms = decodeCdcRecord(withTime(1720740233012)).version;
    const us = decodeCdcRecord(withTime(1720740233012500, 'MICROSECOND')).version;
    expect(ms).toBeLessThan(us);
    expect(us - ms).toBe(500);
  });

  it('rejects an unknown precision', () => {
    expect(decodeErrorOf(() => decodeCdcRecord(withTime(1720740233012, 'NANOSECOND'))).message).toBe(
      'dynamodb.ApproximateCreationDateTimePrecision: unknown precision "NANOSECOND"',
    );
  });

  it.each([undefined, '1720740233012', 0, -5, 1.5, Number.MAX_SAFE_INTEGER + 2])('rejects the timestamp %j', (value) => {
    const record = withTime(value, 'MICROSECOND');
    if (value === undefined) delete record.dynamodb.ApproximateCreationDateTime;
    expect(decodeErrorOf(() => decodeCdcRecord(record)).message).toBe('dynamodb.ApproximateCreationDateTime: missing or not a positive integer');
  });
});

describe('DynamoDB Streams records', () => {
  it('decodes the Lambda event records, taking the table name from eventSourceARN', () => {
    expect(decodeCdcRecord(streamsRecord(0), 'Records[0]')).toEqual({
      format: 'streams',
      sourceTable: 'TestTable',
      eventId: '1',
      eventName: 'INSERT',
      ttl: false,
      version: 0,
      sequence: '111',
      pk: '{"Id":101}',
      keysJson: '{"Id":101}',
      newImageJson: '{"Message":"New item!","Id":101}',
      oldImageJson: null,
    });
    expect(decodeCdcRecord(streamsRecord(1))).toMatchObject({
      eventName: 'MODIFY',
      sequence: '222',
      newImageJson: '{"Message":"This item has changed","Id":101}',
      oldImageJson: '{"Message":"New item!","Id":101}',
    });
  });

  it('converts ApproximateCreationDateTime from seconds', () => {
    const record = streamsRecord(0);
    record.dynamodb.ApproximateCreationDateTime = 1479499740;
    expect(decodeCdcRecord(record).version).toBe(1479499740_000000);
    record.dynamodb.ApproximateCreationDateTime = 1479499740.25;
    expect(decodeCdcRecord(record).version).toBe(1479499740_250000);
  });

  it('rejects a timestamp in milliseconds, which would outrank every later change of the item', () => {
    const record = streamsRecord(0);
    record.dynamodb.ApproximateCreationDateTime = 1479499740123;
    expect(decodeErrorOf(() => decodeCdcRecord(record)).message).toBe('dynamodb.ApproximateCreationDateTime: seconds out of range (milliseconds?)');
  });

  it.each(['1479499740', -1, null])('rejects the timestamp %j', (value) => {
    const record = streamsRecord(0);
    record.dynamodb.ApproximateCreationDateTime = value;
    expect(decodeErrorOf(() => decodeCdcRecord(record, 'Records[0]')).message).toBe(
      'Records[0].dynamodb.ApproximateCreationDateTime: not a non-negative number of seconds',
    );
  });

  it('decodes binary once', () => {
    const record = streamsRecord(0);
    record.dynamodb.NewImage.blob = { B: 'EgIIew==' };
    expect(JSON.parse(decodeCdcRecord(record).newImageJson!)).toMatchObject({ blob: 'EgIIew==' });
    record.dynamodb.NewImage.blob = { B: 'RWdJSWV3PT0=' };
    expect(JSON.parse(decodeCdcRecord(record).newImageJson!)).toMatchObject({ blob: 'RWdJSWV3PT0=' });
  });

  it('reads the table name from ARNs of other partitions', () => {
    const record = streamsRecord(0);
    record.eventSourceARN = 'arn:aws-cn:dynamodb:cn-north-1:111122223333:table/Orders.v2-eu_1/stream/2024-01-01T00:00:00.000';
    expect(decodeCdcRecord(record).sourceTable).toBe('Orders.v2-eu_1');
  });

  it('falls back to tableName, and otherwise names eventSourceARN', () => {
    const record = streamsRecord(0);
    record.eventSourceARN = 'arn:aws:lambda:us-west-2:111122223333:function:f';
    expect(decodeErrorOf(() => decodeCdcRecord(record, 'Records[0]')).message).toBe(
      'Records[0].eventSourceARN: missing or not a DynamoDB stream ARN (…:table/<name>/stream/…)',
    );
    record.tableName = 'HandMade';
    expect(decodeCdcRecord(record).sourceTable).toBe('HandMade');
    delete record.eventSourceARN;
    expect(decodeCdcRecord(record).format).toBe('streams');
  });

  it('keeps SequenceNumber exactly, up to 40 digits, without leading zeros', () => {
    const record = streamsRecord(0);
    const sequence = '4421584500000000017450439091';
    record.dynamodb.SequenceNumber = sequence;
    expect(decodeCdcRecord(record).sequence).toBe(sequence);
    record.dynamodb.SequenceNumber = '9'.repeat(40);
    expect(decodeCdcRecord(record).sequence).toBe('9'.repeat(40));
    record.dynamodb.SequenceNumber = '000123';
    expect(decodeCdcRecord(record).sequence).toBe('123');
    record.dynamodb.SequenceNumber = '000';
    expect(decodeCdcRecord(record).sequence).toBe('0');
  });

  it.each(['9'.repeat(41), '', '12a', '-1', '1e5', 111])('rejects the SequenceNumber %j', (value) => {
    const record = streamsRecord(0);
    record.dynamodb.SequenceNumber = value;
    expect(decodeErrorOf(() => decodeCdcRecord(record)).message).toBe('dynamodb.SequenceNumber: not a decimal string of 1 to 40 digits');
  });

  it('accepts KEYS_ONLY records: no images at all', () => {
    const record = streamsRecord(1);
    delete record.dynamodb.NewImage;
    delete record.dynamodb.OldImage;
    record.dynamodb.StreamViewType = 'KEYS_ONLY';
    expect(decodeCdcRecord(record)).toMatchObject({ eventName: 'MODIFY', pk: '{"Id":101}', newImageJson: null, oldImageJson: null });
  });

  it('accepts OLD_IMAGE records: an INSERT without any image', () => {
    const record = streamsRecord(0);
    delete record.dynamodb.NewImage;
    record.dynamodb.StreamViewType = 'OLD_IMAGE';
    expect(decodeCdcRecord(record)).toMatchObject({ eventName: 'INSERT', newImageJson: null });
  });
});

describe('format detection', () => {
  it('a record with tableName and none of the Streams fields is a Kinesis record', () => {
    expect(decodeCdcRecord(fixture('kinesis/binary-double-base64-modify.json')).format).toBe('kinesis');
  });

  it.each([
    ['eventSourceARN', (r: Record<string, any>) => (r.eventSourceARN = 'arn:aws:dynamodb:us-east-1:1:table/KSDSBinaryTesting/stream/x')],
    ['eventVersion', (r: Record<string, any>) => (r.eventVersion = '1.1')],
    ['dynamodb.SequenceNumber', (r: Record<string, any>) => (r.dynamodb.SequenceNumber = '100')],
  ])('a record with %s is a DynamoDB Streams record, with binary encoded once', (_, mark) => {
    const record = fixture('kinesis/binary-double-base64-modify.json');
    record.dynamodb.ApproximateCreationDateTime = 1654699573;
    mark(record);
    const change = decodeCdcRecord(record);
    expect(change).toMatchObject({ format: 'streams', sourceTable: 'KSDSBinaryTesting', version: 1654699573_000000 });
    expect(JSON.parse(change.newImageJson!)).toEqual({ id: '1', binaryData: 'RWdJSWV3PT0=' });
  });
});

describe('TTL deletes', () => {
  it('marks a Kinesis REMOVE by the DynamoDB service (type/principalId)', () => {
    const record = fixture('kinesis/seed-remove.json');
    record.userIdentity = TTL_IDENTITY;
    expect(decodeCdcRecord(record).ttl).toBe(true);
  });

  it('marks a Streams REMOVE spelled Type/PrincipalId, as the GetRecords API does', () => {
    const record = streamsRecord(1);
    record.eventName = 'REMOVE';
    delete record.dynamodb.NewImage;
    record.userIdentity = { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' };
    expect(decodeCdcRecord(record)).toMatchObject({ ttl: true, newImageJson: null });
  });

  it.each([
    ['no identity', undefined],
    ['a null identity', null],
    ['another principal', { type: 'Service', principalId: 'lambda.amazonaws.com' }],
    ['a user', { type: 'User', principalId: 'dynamodb.amazonaws.com' }],
  ])('does not mark a REMOVE with %s', (_, identity) => {
    const record = fixture('kinesis/seed-remove.json');
    record.userIdentity = identity;
    expect(decodeCdcRecord(record).ttl).toBe(false);
  });

  it('marks only REMOVE events', () => {
    const record = fixture('kinesis/seed-modify.json');
    record.userIdentity = TTL_IDENTITY;
    expect(decodeCdcRecord(record).ttl).toBe(false);
  });
});

describe('images and keys', () => {
  it('accepts an image whose key is written differently but equal', () => {
    const record = streamsRecord(0);
    record.dynamodb.NewImage.Id = { N: '101.00' };
    expect(decodeCdcRecord(record).newImageJson).toBe('{"Message":"New item!","Id":101}');
  });

  it('rejects an image whose key differs from Keys', () => {
    const record = fixture('kinesis/seed-modify.json');
    record.dynamodb.OldImage.device = { S: 'bar' };
    expect(decodeErrorOf(() => decodeCdcRecord(record)).message).toBe('dynamodb.OldImage["device"]: differs from Keys');
  });

  it('rejects an image without a key attribute', () => {
    const record = fixture('kinesis/seed-insert.json');
    delete record.dynamodb.NewImage.timestamp;
    expect(decodeErrorOf(() => decodeCdcRecord(record)).message).toBe('dynamodb.NewImage["timestamp"]: key attribute missing from the image');
  });

  it('names the path of a bad attribute under the record path', () => {
    const record = fixture('kinesis/seed-insert.json');
    record.dynamodb.NewImage.humidity = { N: 'high' };
    expect(decodeErrorOf(() => decodeCdcRecord(record, 'records[3].data')).path).toBe('records[3].data.dynamodb.NewImage["humidity"].N');
  });
});

describe('envelope errors', () => {
  it.each([null, [], 'record', 42])('rejects %j, which is not an object', (value) => {
    expect(decodeErrorOf(() => decodeCdcRecord(value, 'Records[2]')).message).toBe('Records[2]: not a JSON object (expected a DynamoDB CDC record)');
  });

  it('requires the dynamodb object', () => {
    const record = fixture('kinesis/seed-insert.json');
    record.dynamodb = 'x';
    expect(decodeErrorOf(() => decodeCdcRecord(record)).message).toBe('dynamodb: missing or not an object');
  });

  it.each(['insert', 'DELETE', undefined, 1])('rejects the eventName %j', (name) => {
    const record = fixture('kinesis/seed-insert.json');
    record.eventName = name;
    expect(decodeErrorOf(() => decodeCdcRecord(record, 'records[0].data')).message).toBe(
      `records[0].data.eventName: unknown eventName ${JSON.stringify(name)} (expected INSERT, MODIFY or REMOVE)`,
    );
  });

  it.each([undefined, '', 7])('rejects the eventID %j', (id) => {
    const record = fixture('kinesis/seed-insert.json');
    record.eventID = id;
    expect(decodeErrorOf(() => decodeCdcRecord(record)).message).toBe('eventID: missing or not a string');
  });

  it('requires Keys', () => {
    const record = fixture('kinesis/seed-remove.json');
    delete record.dynamodb.Keys;
    expect(decodeErrorOf(() => decodeCdcRecord(record)).message).toBe('dynamodb.Keys: missing or not an object');
  });
});
