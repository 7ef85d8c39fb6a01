import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { fixture } from './fixtures.js';
import { ACCESS_KEY } from './firehose.js';

export interface Report {
  requestId: string;
  received: number;
  applied: number;
  stale: number;
  duplicate: number;
  deadLettered: number;
  empty: number;
  failures: { index: number; error: string }[];
  tables: Record<string, number>;
}

const REPORT_KEYS = ['applied', 'deadLettered', 'diverted', 'duplicate', 'empty', 'failures', 'received', 'requestId', 'stale', 'tables'];

export function post(body: string | Uint8Array, headers: Record<string, string> = { authorization: `Bearer ${ACCESS_KEY}` }): Request {
  return new Request('http://sink.test/records', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

/** Checks the 200 contract and that every record is counted exactly once. */
export async function report(response: Response): Promise<Report> {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as Report;
  expect(Object.keys(body).sort()).toEqual(REPORT_KEYS);
  expect(body.applied + body.stale + body.duplicate + body.deadLettered + body.empty).toBe(body.received);
  expect(body.failures).toHaveLength(body.deadLettered);
  return body;
}

/** A seed record (Kinesis format) for an item of its own. */
export function kinesis(name: 'seed-insert' | 'seed-modify' | 'seed-remove', device: string) {
  const record = fixture(`kinesis/${name}.json`);
  record.eventID = randomUUID();
  record.dynamodb.Keys.device.S = device;
  for (const image of ['NewImage', 'OldImage']) if (record.dynamodb[image]) record.dynamodb[image].device.S = device;
  return record;
}
