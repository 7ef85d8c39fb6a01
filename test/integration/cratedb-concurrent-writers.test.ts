import { parse } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapMismatch, type Item, type Value } from '../support/dynamo-model.js';
import { reassemble } from '../support/reassemble.js';
import { kinesisRecord, recordsRequest } from '../support/records.js';
import { createHarness, liveCrateDbTarget, type Harness, type TargetName } from '../support/sinks.js';

/**
 * Several service instances, each with its own cache of sub-column types, write one CrateDB table
 * at once with attributes whose types conflict between them. CrateDB types a sub-column by the
 * first value it sees and then casts later values silently where it can ("12" into a DOUBLE) or
 * fails the whole request where it cannot ("abc"): neither may show. Every delivery must answer
 * 200, and what `data` holds plus what `aux` kept aside must be exactly the item.
 */
const INSTANCES = 3;
const DELIVERIES = 8;
const RECORDS = 20;
const ATTRIBUTES = 12;

/**
 * Per instance, the DynamoDB value of attribute a<j>: its type differs from instance to instance.
 * `castable`: numbers against numeric strings only, which CrateDB casts either way without a
 * word (1.5 into TEXT "1.5", "12" into DOUBLE 12.0); otherwise some pairs cannot be cast at all.
 */
function value(instance: number, j: number, n: number, castable: boolean): Value {
  if (castable) return instance % 2 === 0 ? { N: `${n}.5` } : { S: String(n) };
  switch ((instance + j) % 4) {
    case 0:
      return { N: `${n}.5` };
    case 1:
      // Castable into a DOUBLE sub-column: CrateDB would store 12.0 silently.
      return { S: String(n) };
    case 2:
      return { BOOL: n % 2 === 0 };
    default:
      return { S: `word ${n}` };
  }
}

function delivery(instance: number, d: number, castable: boolean): { records: unknown[]; items: Map<string, Item> } {
  const records: unknown[] = [];
  const items = new Map<string, Item>();
  for (let r = 0; r < RECORDS; r++) {
    const id = `i${instance}-d${d}-r${r}`;
    const attributes: Item = {};
    for (let j = 0; j < ATTRIBUTES; j++) attributes[`a${j}`] = value(instance, j, d * RECORDS + r, castable);
    records.push(kinesisRecord({ table: 'shared', id, micros: 1_000 + d, attributes }));
    items.set(JSON.stringify({ id }), { ...attributes, id: { S: id } });
  }
  return { records, items };
}

const targets: { name: TargetName; skip: string | null }[] = [
  { name: 'cratedb-stand-in', skip: null },
  { name: 'cratedb', skip: liveCrateDbTarget.skipReason },
];

for (const target of targets) {
  for (const castable of [true, false]) {
    describe.skipIf(target.skip !== null)(
      `${INSTANCES} writers with conflicting types (${castable ? 'all castable: silent casts' : 'some not castable: failed requests'}) into one ${target.name} table${target.skip ? ` (skipped: ${target.skip})` : ''}`,
      () => {
        const instances: Harness[] = [];
        beforeAll(async () => {
          instances.push(await createHarness(target.name));
          // Every other instance writes the same database, schema and table (for the stand-in: the first one's).
          const first = instances[0]!;
          for (let i = 1; i < INSTANCES; i++) {
            instances.push(
              await createHarness(target.name, first.standIn ? { SINK_URL: `${first.standIn.url}/?schema=doc` } : { TARGET_SCHEMA: first.schema }),
            );
          }
        });
        afterAll(async () => {
          for (const h of instances.reverse()) await h.close();
        });

        it('answers every delivery 200 and leaves no value altered: data plus aux is exactly the item', async () => {
          const expected = new Map<string, Item>();
          const statuses: number[] = [];
          await Promise.all(
            instances.map(async (h, instance) => {
              for (let d = 0; d < DELIVERIES; d++) {
                const { records, items } = delivery(instance, d, castable);
                for (const [pk, item] of items) expected.set(pk, item);
                const response = await h.app.request(recordsRequest(records));
                statuses.push(response.status);
                if (response.status !== 200) throw new Error(`instance ${instance} delivery ${d}: ${response.status} ${await response.text()}`);
              }
            }),
          );
          expect(statuses.every((s) => s === 200)).toBe(true);
          const rows = await instances[0]!.rows('shared');
          expect(rows).toHaveLength(expected.size);
          let diverted = 0;
          for (const row of rows) {
            const item = expected.get(row.pk)!;
            expect(mapMismatch(item, parse(row.item)), `${row.pk}: item`).toBeNull();
            expect(mapMismatch(item, reassemble(row.data, row.aux)), `${row.pk}: data + aux`).toBeNull();
            diverted += row.aux.length;
          }
          // The types did conflict: the values of every instance but the first to type a column are aside.
          expect(diverted).toBeGreaterThan(0);
        });
      },
    );
  }
}
