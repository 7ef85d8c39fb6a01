import pino from 'pino';
import { expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { candidateNames } from '../../src/translate/target-name.js';
import { readJson } from '../support/read-json.js';
import { kinesisRecord, recordsRequest } from '../support/records.js';
import { crateDbTargets, createHarness, describeTargets } from '../support/sinks.js';

// Target names claimed in CrateDB itself (cdc_table_owners): never two DynamoDB tables in one
// target table, the same answer on every instance, whatever arrives first (README, The tables).
const hashed = (source: string) => candidateNames(source)[1]!;

describeTargets('target table names claimed in', crateDbTargets, { CHANGE_LOG: 'true' }, (h, target) => {
  /** Another instance: nothing known in memory but what the database holds. */
  const instance = () => createApp({ config: h.config, sink: h.sink, log: pino({ level: 'silent' }) });
  const post = async (records: unknown[], app = h.app) => readJson(await app.request(recordsRequest(records)));
  const ids = async (table: string) => (await h.rows(table)).map((r) => [JSON.parse(r.pk).id, r.source_table]);

  it('keeps Customers and customers apart, the same way on an instance that starts later', async () => {
    expect(await post([kinesisRecord({ table: 'Customers', id: 'c', micros: 2 }), kinesisRecord({ table: 'customers', id: 'c', micros: 1 })])).toMatchObject({
      applied: 2,
      stale: 0,
    });
    expect(
      await post([kinesisRecord({ table: 'customers', id: 'd', micros: 1 }), kinesisRecord({ table: 'Customers', id: 'd', micros: 2 })], instance()),
    ).toMatchObject({ applied: 2 });
    expect(await ids('customers')).toEqual([
      ['c', 'customers'],
      ['d', 'customers'],
    ]);
    expect(await ids(hashed('Customers'))).toEqual([
      ['c', 'Customers'],
      ['d', 'Customers'],
    ]);
  });

  it('agrees across instances (own caches, own connections) that claim at the same moment', async () => {
    const other = await createHarness(
      target.name,
      h.standIn ? { SINK_URL: `${h.standIn.url}/?schema=doc`, CHANGE_LOG: 'true' } : { TARGET_SCHEMA: h.schema, CHANGE_LOG: 'true' },
    );
    try {
      const [a, b] = await Promise.all([
        post([kinesisRecord({ table: 'or-ders', id: 'a', micros: 1 })]),
        post([kinesisRecord({ table: 'or_ders', id: 'b', micros: 1 })], other.app),
      ]);
      const tables = [...Object.keys(a.tables), ...Object.keys(b.tables)].sort();
      // Whichever claimed first has or_ders; the other its hashed name.
      expect(new Set(tables).size, 'two DynamoDB tables, two target tables').toBe(2);
      expect(tables).toContain('or_ders');
      expect([hashed('or-ders'), hashed('or_ders')]).toContain(tables.find((t) => t !== 'or_ders'));
      // Later deliveries, through either instance, go where the first claims said.
      const again = await post([kinesisRecord({ table: 'or-ders', id: 'a2', micros: 2 }), kinesisRecord({ table: 'or_ders', id: 'b2', micros: 2 })], other.app);
      expect(Object.keys(again.tables).sort()).toEqual(tables);
    } finally {
      await other.sink.close();
    }
  });

  it('does not write into a table this service did not create: the DynamoDB table takes its hashed name', async () => {
    await h.query('CREATE TABLE "someone_elses" (x integer)');
    expect(await post([kinesisRecord({ table: 'someone-elses', id: 'x', micros: 1 })])).toMatchObject({ applied: 1, tables: { [hashed('someone-elses')]: 1 } });
    expect(await ids(hashed('someone-elses'))).toEqual([['x', 'someone-elses']]);
  });
});
