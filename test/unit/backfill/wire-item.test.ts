import { describe, expect, it } from 'vitest';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { fromWireItem, toWireItem } from '../../../src/backfill/wire-item.js';
import { itemToJson } from '../../../src/decode/attribute-value.js';

const bytes = (...b: number[]) => new Uint8Array(b);
const sdkItem: Record<string, AttributeValue> = {
  id: { B: bytes(0, 1, 254, 255) },
  set: { BS: [bytes(1), bytes(2, 3)] },
  nested: { M: { deep: { L: [{ B: bytes(9) }, { S: 'x' }, { N: '1.50' }] } } },
  flag: { BOOL: false },
  nothing: { NULL: true },
};

describe('wire items', () => {
  it('spells binary as base64 at every depth, the form the decoder and the cursor file use', () => {
    const wire = toWireItem(sdkItem);
    expect(wire).toEqual({
      id: { B: 'AAH+/w==' },
      set: { BS: ['AQ==', 'AgM='] },
      nested: { M: { deep: { L: [{ B: 'CQ==' }, { S: 'x' }, { N: '1.50' }] } } },
      flag: { BOOL: false },
      nothing: { NULL: true },
    });
    expect(JSON.parse(itemToJson(wire, 'base64', ''))).toMatchObject({ id: 'AAH+/w==', set: ['AQ==', 'AgM='] });
  });

  it('survives JSON and comes back as the same bytes', () => {
    expect(fromWireItem(JSON.parse(JSON.stringify(toWireItem(sdkItem))))).toEqual(sdkItem);
  });

  it('reads bytes that are a view into a larger buffer correctly', () => {
    const pool = Buffer.from([7, 7, 1, 2, 7]);
    expect(toWireItem({ k: { B: pool.subarray(2, 4) } })).toEqual({ k: { B: 'AQI=' } });
  });
});
