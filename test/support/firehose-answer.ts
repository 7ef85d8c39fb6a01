import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { fixture } from './fixtures.js';

/** Checks the Firehose response contract (CONTEXT.md §1) and returns the body. */
export async function firehoseAnswer(response: Response, status: number, requestId?: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  const body = (await response.json()) as { requestId: string; timestamp: number; errorMessage?: string };
  expect(Object.keys(body).sort()).toEqual(status === 200 ? ['requestId', 'timestamp'] : ['errorMessage', 'requestId', 'timestamp']);
  if (requestId !== undefined) expect(body.requestId).toBe(requestId);
  expect(Number.isInteger(body.timestamp)).toBe(true);
  expect(Math.abs(body.timestamp - Date.now())).toBeLessThan(60_000);
  if (status !== 200) {
    expect(typeof body.errorMessage).toBe('string');
    expect(body.errorMessage!.length).toBeGreaterThan(0);
    expect(body.errorMessage!.length).toBeLessThanOrEqual(8192);
  }
  return body;
}

/** A seed INSERT for an item of its own, so that a test can find its row. */
export function insertOf(device: string) {
  const record = fixture('kinesis/seed-insert.json');
  record.eventID = randomUUID();
  record.dynamodb.Keys.device.S = device;
  record.dynamodb.NewImage.device.S = device;
  return record;
}
