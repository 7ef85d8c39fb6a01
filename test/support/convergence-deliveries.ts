import type { PlannedDelivery } from './delivery-plan.js';
import { ACCESS_KEY, encodeRecord, firehoseBody, firehoseRequest } from './firehose.js';
import type { Harness } from './sinks.js';

/** Poison records of a convergence run: each must end as a dead letter, and hurt nothing else. */
export function poisonFor(run: number): string[] {
  return [
    `bm90IGJhc2U2NA==!${run}`, // not base64
    encodeRecord(`hello ${run}`), // not JSON
    encodeRecord({ eventName: 'UPSERT', eventID: `poison-${run}`, tableName: 't', dynamodb: { Keys: { id: { S: 'x' } } } }),
    encodeRecord({ eventName: 'INSERT', eventID: `nokeys-${run}`, tableName: 't', dynamodb: { ApproximateCreationDateTime: 1, NewImage: { id: { S: 'x' } } } }),
  ];
}

/** Sends a planned delivery to its endpoint. */
export async function send(h: Harness, delivery: PlannedDelivery): Promise<Response> {
  if (delivery.endpoint === '/firehose') return h.app.request(firehoseRequest(firehoseBody(delivery.records), { gzip: delivery.gzip }));
  const body = delivery.gzip ? delivery.records.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify(delivery.records);
  return h.app.request('/records', {
    method: 'POST',
    headers: { authorization: `Bearer ${ACCESS_KEY}`, 'content-type': delivery.gzip ? 'application/x-ndjson' : 'application/json' },
    body,
  });
}
