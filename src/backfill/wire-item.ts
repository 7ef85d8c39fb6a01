import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * The SDK hands binary attributes over as bytes (Uint8Array); the DynamoDB JSON wire format, which
 * the decoder reads and the cursor file stores, spells them as base64 text. These convert an item
 * (or a LastEvaluatedKey) between the two, recursing through maps and lists.
 */
export type WireItem = Record<string, unknown>;

export function toWireItem(item: Record<string, AttributeValue>): WireItem {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, toWire(value)]));
}

export function fromWireItem(item: WireItem): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, fromWire(value as Record<string, unknown>)]));
}

function toWire(value: AttributeValue): unknown {
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: toWireItem(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toWire) };
  return value;
}

function fromWire(value: Record<string, unknown>): AttributeValue {
  if (typeof value.B === 'string') return { B: bytes(value.B) };
  if (Array.isArray(value.BS)) return { BS: value.BS.map((b) => bytes(String(b))) };
  if (value.M !== undefined) return { M: fromWireItem(value.M as WireItem) };
  if (Array.isArray(value.L)) return { L: value.L.map((v) => fromWire(v as Record<string, unknown>)) };
  return value as unknown as AttributeValue;
}

function base64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
