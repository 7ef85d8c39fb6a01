import { describe, expect, it } from 'vitest';
import { decodeFirehoseRecord, decodeParsedRecord, type DecodedRecord } from '../../../src/decode/decode-record.js';
import { unclaimedTargets } from '../../../src/translate/target-name.js';
import { translate, type TranslateOptions } from '../../../src/translate/translate.js';
import { fixture, seedRecords } from '../../support/fixtures.js';
import { encodeRecord } from '../../support/firehose.js';
import { nowBounds } from '../../support/change-bounds.js';

const options: TranslateOptions = { requestId: 'req-1', source: 'firehose', changeLog: false, targetOf: unclaimedTargets(new Map()) };
const decodeAll = (records: unknown[]): DecodedRecord[] => records.map((r, i) => decodeFirehoseRecord(encodeRecord(r), i, nowBounds));
const FOO = '{"device":"foo","timestamp":"2024-07-12T01:17:42"}';
const QUX = '{"device":"qux","timestamp":"2024-07-12T01:17:42"}';

describe('translate', () => {
  it('writes the seed delivery as one live row for qux and a tombstone for foo', () => {
    const { batch, settled } = translate(decodeAll(seedRecords()), options);
    expect(batch.requestId).toBe('req-1');
    expect(batch.deadLetters).toEqual([]);
    expect(batch.tables).toHaveLength(1);
    const [table] = batch.tables;
    expect(table!.table).toBe('table_testdrive');
    expect(table!.changes).toEqual([]);
    expect(table!.rows).toEqual([
      {
        recordIndex: 0,
        pk: QUX,
        data: '{"humidity":84.84,"temperature":42.42,"device":"qux","timestamp":"2024-07-12T01:17:42"}',
        deleted: false,
        version: 1720740233012995,
        sequence: null,
        eventId: 'b015b5f0-c095-4b50-8ad0-4279aa3d88c6',
        eventName: 'INSERT',
        ttl: false,
        keysOnly: false,
        sourceTable: 'table-testdrive',
      },
      {
        recordIndex: 2,
        pk: FOO,
        data: FOO,
        deleted: true,
        version: 1720742321848352,
        sequence: null,
        eventId: 'ff4e68ab-0820-4a0c-80b2-38753e8e00e5',
        eventName: 'REMOVE',
        ttl: false,
        keysOnly: false,
        sourceTable: 'table-testdrive',
      },
    ]);
    expect(settled).toEqual([{ index: 1, fate: { table: 'table_testdrive', operation: 'modify', outcome: 'stale', version: expect.any(Number) } }]);
  });

  it('gives the same rows whatever the order of the records', () => {
    const rows = (records: unknown[]) => translate(decodeAll(records), options).batch.tables.flatMap((t) => t.rows.map(({ recordIndex: _, ...row }) => row));
    const forward = rows(seedRecords());
    const backward = rows(seedRecords().reverse());
    expect(backward).toHaveLength(2);
    expect(new Set(backward.map((r) => JSON.stringify(r)))).toEqual(new Set(forward.map((r) => JSON.stringify(r))));
  });

  it('settles a redelivered record as a duplicate', () => {
    const insert = fixture('kinesis/seed-insert.json');
    const { batch, settled } = translate(decodeAll([insert, insert]), options);
    expect(batch.tables[0]!.rows.map((r) => r.recordIndex)).toEqual([0]);
    expect(settled).toMatchObject([{ index: 1, fate: { table: 'table_testdrive', operation: 'insert', outcome: 'duplicate' } }]);
  });

  it('marks TTL deletes', () => {
    const remove = fixture('kinesis/seed-remove.json');
    remove.userIdentity = { type: 'Service', principalId: 'dynamodb.amazonaws.com' };
    expect(translate(decodeAll([remove]), options).batch.tables[0]!.rows[0]).toMatchObject({ deleted: true, ttl: true });
  });

  it('writes a KEYS_ONLY change as its key, flagged so the stored item is kept', () => {
    const [record] = fixture('streams/lambda-event.json').Records;
    delete record.dynamodb.NewImage;
    const decoded = [decodeParsedRecord(record, 0, 'Records[0]', nowBounds)];
    expect(translate(decoded, options).batch.tables[0]!.rows[0]).toMatchObject({
      pk: '{"Id":101}',
      data: '{"Id":101}',
      deleted: false,
      keysOnly: true,
      sequence: '111',
      sourceTable: 'TestTable',
    });
  });

  it('orders DynamoDB Streams changes by SequenceNumber', () => {
    const event = fixture('streams/lambda-event.json');
    // eventIDs that sort the other way, so that only the SequenceNumber can pick the MODIFY.
    event.Records[0].eventID = 'z-insert';
    event.Records[1].eventID = 'a-modify';
    const decoded = event.Records.reverse().map((r: unknown, i: number) => decodeParsedRecord(r, i, `Records[${i}]`, nowBounds));
    const { batch, settled } = translate(decoded, options);
    expect(batch.tables.map((t) => t.table)).toEqual(['testtable']);
    expect(batch.tables[0]!.rows).toMatchObject([
      { recordIndex: 0, eventName: 'MODIFY', sequence: '222', data: '{"Message":"This item has changed","Id":101}' },
    ]);
    expect(settled).toMatchObject([{ index: 1, fate: { table: 'testtable', operation: 'insert', outcome: 'stale' } }]);
  });

  it('routes tables through the table map', () => {
    const binary = fixture('kinesis/binary-double-base64-modify.json');
    const map = new Map([
      ['table-testdrive', 'drive'],
      ['*', 'misc'],
    ]);
    const { batch } = translate(decodeAll([...seedRecords(), binary]), { ...options, targetOf: unclaimedTargets(map) });
    expect(batch.tables.map((t) => [t.table, t.rows.length])).toEqual([
      ['drive', 2],
      ['misc', 1],
    ]);
  });

  it('keeps every distinct change for the change log, once each, when it is on', () => {
    const records = [...seedRecords(), fixture('kinesis/seed-modify.json')];
    const { batch } = translate(decodeAll(records), { ...options, changeLog: true });
    const [table] = batch.tables;
    expect(table!.rows).toHaveLength(2);
    expect(table!.changes.map((c) => [c.recordIndex, c.eventName])).toEqual([
      [0, 'INSERT'],
      [1, 'MODIFY'],
      [2, 'REMOVE'],
    ]);
    expect(table!.changes[1]).toMatchObject({
      eventId: '24757579-ebfd-480a-956d-a1287d2ef707',
      pk: FOO,
      version: 1720742302233719,
      sequence: null,
      ttl: false,
      sourceTable: 'table-testdrive',
    });
    expect(JSON.parse(table!.changes[1]!.newImage!)).toMatchObject({ temperature: 55.66 });
    expect(JSON.parse(table!.changes[1]!.oldImage!)).toMatchObject({ temperature: 42.42 });
    expect(table!.changes[2]).toMatchObject({ newImage: null });
  });

  it('turns records that failed to decode into dead letters, and writes the rest', () => {
    const decoded = [decodeFirehoseRecord('not base64', 0, nowBounds), ...decodeAll(seedRecords()).map((r) => ({ ...r, index: r.index + 1 }))];
    const { batch, settled } = translate(decoded, { ...options, source: 'records' });
    expect(settled).toContainEqual({
      index: 0,
      fate: { table: null, operation: null, outcome: 'dead_lettered', version: 0 },
      error: 'records[0].data: not valid base64',
    });
    expect(batch.deadLetters).toEqual([
      {
        requestId: 'req-1',
        recordIndex: 0,
        source: 'records',
        sourceTable: null,
        payload: 'not base64',
        error: 'records[0].data: not valid base64',
      },
    ]);
    expect(batch.tables[0]!.rows.map((r) => r.recordIndex)).toEqual([1, 3]);
  });

  it('translates nothing into an empty batch', () => {
    expect(translate([], options)).toEqual({ batch: { requestId: 'req-1', tables: [], deadLetters: [] }, settled: [] });
  });
});

describe('translate with typed columns (COLUMN_MAP)', () => {
  const columns = [
    { name: 'device', path: ['device'], type: 'text', from: null },
    { name: 'reading_time', path: ['timestamp'], type: 'timestamp', from: 'iso8601' },
    { name: 'temperature', path: ['temperature'], type: 'double', from: null },
  ] as const;
  const withColumns: TranslateOptions = { ...options, targetOf: () => ({ ok: true, table: 'table_testdrive', columns }) };

  it("computes each row's columns from what the row holds: the item, or a tombstone's key", () => {
    const { batch } = translate(decodeAll(seedRecords()), withColumns);
    const [table] = batch.tables;
    expect(table!.columns).toEqual(columns);
    const byPk = new Map(table!.rows.map((r) => [r.pk, r]));
    expect(byPk.get(QUX)!.columns).toEqual({ values: ['qux', '2024-07-12T01:17:42.000000Z', 42.42], unconverted: 0 });
    expect(byPk.get(FOO)!.columns, 'the tombstone: its key only').toEqual({ values: ['foo', '2024-07-12T01:17:42.000000Z', null], unconverted: 0 });
  });

  it('leaves rows without columns where the table has none', () => {
    const { batch } = translate(decodeAll(seedRecords()), options);
    expect(batch.tables[0]!.columns).toEqual([]);
    expect(batch.tables[0]!.rows.every((r) => r.columns === undefined)).toBe(true);
  });
});
