import { describe, expect, it } from 'vitest';
import { decodeScannedRecord } from '../../../src/decode/decode-record.js';
import { decodeScannedItem, type ScanMeta } from '../../../src/decode/scanned-item.js';
import { DecodeError } from '../../../src/decode/decode-error.js';

const meta: ScanMeta = { table: 'table-testdrive', keyNames: ['device', 'timestamp'], version: -7_000_000_000_000_000, runId: 'backfill:1720740233012995' };
// An item as Scan returns it on the wire (binary once base64-encoded, numbers as text).
const item = () => ({
  timestamp: { S: '2024-07-12T01:17:42' },
  device: { S: 'qux' },
  temperature: { N: '42.420' },
  blob: { B: Buffer.from([0, 255, 16]).toString('base64') },
  tags: { SS: ['b', 'a'] },
});

describe('decodeScannedItem', () => {
  it('writes the item as read, at the run version, keyed like a stream record', () => {
    const change = decodeScannedItem(item(), meta, 'Items[0]');
    expect(change).toMatchObject({
      format: 'scan',
      sourceTable: 'table-testdrive',
      eventName: 'INSERT',
      ttl: false,
      version: meta.version,
      sequence: null,
      pk: '{"device":"qux","timestamp":"2024-07-12T01:17:42"}',
      keysJson: '{"device":"qux","timestamp":"2024-07-12T01:17:42"}',
      oldImageJson: null,
    });
    expect(JSON.parse(change.newImageJson!)).toEqual({ timestamp: '2024-07-12T01:17:42', device: 'qux', temperature: 42.42, blob: 'AP8Q', tags: ['a', 'b'] });
    expect(change.newImageJson).toContain('"temperature":42.42');
  });

  it('gives each key its own eventID, the same in every scan of the run and different in another run', () => {
    const a = decodeScannedItem(item(), meta, '');
    const again = decodeScannedItem(item(), meta, '');
    const other = decodeScannedItem({ ...item(), device: { S: 'foo' } }, meta, '');
    const nextRun = decodeScannedItem(item(), { ...meta, runId: 'backfill:1720740233012996' }, '');
    expect(a.eventId).toMatch(/^backfill:1720740233012995:[0-9a-f]{32}$/);
    expect(again.eventId).toBe(a.eventId);
    expect(other.eventId).not.toBe(a.eventId);
    expect(nextRun.eventId).not.toBe(a.eventId);
  });

  it('names a missing key attribute', () => {
    const { timestamp: _, ...partial } = item();
    expect(() => decodeScannedItem(partial, meta, 'Items[3]')).toThrow(new DecodeError('Items[3]["timestamp"]', 'key attribute missing from the item'));
  });

  it('refuses what is not an item', () => {
    expect(() => decodeScannedItem(['x'], meta, 'Items[0]')).toThrow('Items[0]: not a DynamoDB item');
    expect(() => decodeScannedItem({ ...item(), device: { BOOL: true } }, meta, 'Items[0]')).toThrow(/a key attribute must be of type S, N or B/);
  });
});

describe('decodeScannedRecord', () => {
  it('returns a failure value with the item as payload instead of throwing', () => {
    const bad = { ...item(), temperature: { N: 'forty-two' } };
    const result = decodeScannedRecord(bad, 2, meta);
    expect(result).toMatchObject({ ok: false, index: 2, payload: JSON.stringify(bad) });
    if (!result.ok) expect(result.error).toMatch(/^Items\[2\]\["temperature"\]\.N: /);
    expect(decodeScannedRecord(item(), 1, meta)).toMatchObject({ ok: true, index: 1 });
  });
});
