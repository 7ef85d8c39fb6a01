import fc from 'fast-check';
import { expect } from 'vitest';
import { planDeliveries, type PlannedDelivery } from './delivery-plan.js';
import { emitRecords, historyArbitrary, type History, type Item } from './dynamo-model.js';
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

/** One touched table of a history, after every delivery: the test compares it with the model. */
export interface ConvergedTable {
  readonly name: string;
  readonly table: History['tables'][number];
  /** Final state: pk → item. */
  readonly finalState: Map<string, Item>;
  readonly touched: Set<string>;
  /** The keys a run could write to this table (a tombstone's columns come from its key). */
  readonly keyPool: readonly Item[];
}

/**
 * The convergence property: `runs` random histories, each delivered shuffled, duplicated and split
 * with poison records mixed in (every delivery 200); then `check` for each table a record touched,
 * and a dead letter for each poison record.
 */
export async function assertConverges(
  h: Harness,
  runs: number,
  prefix: string,
  check: (table: ConvergedTable) => Promise<void>,
  options: { readonly endOnFailure?: boolean } = {},
): Promise<void> {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(historyArbitrary, fc.integer(), async (generated, seed) => {
      run++;
      const history: History = { ...generated, tables: generated.tables.map((t) => ({ ...t, name: `${prefix}${run}-${t.name}` })) };
      const { records, finalState, touched } = emitRecords(history);
      const poison = poisonFor(run);
      for (const delivery of planDeliveries(records, poison, seed)) {
        const response = await send(h, delivery);
        expect(response.status, await response.clone().text()).toBe(200);
      }
      for (const [t, table] of history.tables.entries()) {
        if (touched[t]!.size === 0) continue;
        const name = table.name.toLowerCase().replace(/[^a-z0-9_]/g, '_');
        await check({ name, table, finalState: finalState[t]!, touched: touched[t]!, keyPool: history.keyPools[t]! });
      }
      const letters = await h.deadLetters();
      for (const p of poison)
        expect(
          letters.some((l) => l.payload.includes(p)),
          `dead letter for ${p}`,
        ).toBe(true);
    }),
    // FC_SEED and FC_PATH replay a reported counterexample (fast-check's seed and path).
    {
      numRuns: runs,
      endOnFailure: options.endOnFailure === true,
      ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}),
    },
  );
}
