import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { candidateNames } from '../../src/translate/target-name.js';
import { firehoseBody, firehoseRequest } from '../support/firehose.js';
import { readJson } from '../support/read-json.js';
import { kinesisRecord, recordsRequest } from '../support/records.js';
import { createHarness, sinkTargets, type Harness } from '../support/sinks.js';

// Target names never merge two DynamoDB tables, nor land on an internal table (README, "The tables").
const hashed = (source: string) => candidateNames(source)[1]!;

for (const target of sinkTargets.filter((t) => t.name !== 'cratedb-stand-in')) {
  describe.skipIf(target.skipReason !== null)(`target table names: ${target.name}${target.skipReason ? ` (skipped: ${target.skipReason})` : ''}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(target.name, { CHANGE_LOG: 'true' });
    });
    afterAll(async () => h?.close());

    /** Another instance on the same database (or this one restarted): nothing known but what the database holds. */
    const instance = () => createApp({ config: h.config, sink: h.sink, log: pino({ level: 'silent' }) });
    const post = async (records: unknown[], app = h.app) => readJson(await app.request(recordsRequest(records)));
    const ids = async (table: string) =>
      (await h.query<{ pk: string; source_table: string }>(`SELECT pk, source_table FROM "${table}" ORDER BY pk`)).map((r) => [
        JSON.parse(r.pk).id,
        r.source_table,
      ]);

    it('keeps tables whose names differ only in case apart, the same way whichever arrives first and on every instance', async () => {
      // Equal keys: merged, one would overwrite the other and be counted stale.
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
      expect(hashed('Customers')).toMatch(/^customers_[0-9a-f]{8}$/);
    });

    it("gives a table that comes later the hashed name when today's is held, and keeps it so after a restart", async () => {
      expect(await post([kinesisRecord({ table: 'or-ders', id: 'a', micros: 1 })])).toMatchObject({ applied: 1, tables: { or_ders: 1 } });
      expect(await post([kinesisRecord({ table: 'or_ders', id: 'a', micros: 1 })])).toMatchObject({ applied: 1, tables: { [hashed('or_ders')]: 1 } });
      const restarted = instance();
      expect(
        await post([kinesisRecord({ table: 'or_ders', id: 'b', micros: 1 }), kinesisRecord({ table: 'or-ders', id: 'b', micros: 1 })], restarted),
      ).toMatchObject({
        tables: { or_ders: 1, [hashed('or_ders')]: 1 },
      });
      expect(await ids('or_ders')).toEqual([
        ['a', 'or-ders'],
        ['b', 'or-ders'],
      ]);
    });

    it('leaves a table written by an earlier version (no claims yet) to the source table whose rows it holds', async () => {
      await h.query(`CREATE TABLE legacy_names (pk text PRIMARY KEY, data jsonb NOT NULL, deleted boolean NOT NULL DEFAULT false,
        version bigint NOT NULL, seq numeric, event_id text COLLATE "C" NOT NULL, event_name text NOT NULL,
        ttl_expired boolean NOT NULL DEFAULT false, keys_only boolean NOT NULL DEFAULT false, source_table text NOT NULL,
        changed_at timestamptz NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`);
      await h.query(
        `INSERT INTO legacy_names (pk, data, version, event_id, event_name, source_table, changed_at) VALUES ('{"id":"old"}', '{"id":"old"}', 1, 'e', 'INSERT', 'Legacy-Names', now())`,
      );
      // The canonical name arrives first, yet the table is Legacy-Names'; its PostgreSQL index legacy_names_pkey is no target either.
      expect(await post([kinesisRecord({ table: 'legacy_names', id: 'new', micros: 1 })])).toMatchObject({
        applied: 1,
        tables: { [hashed('legacy_names')]: 1 },
      });
      expect(await post([kinesisRecord({ table: 'Legacy-Names', id: 'new', micros: 1 })])).toMatchObject({ applied: 1, tables: { legacy_names: 1 } });
      expect(await post([kinesisRecord({ table: 'legacy-names-pkey', id: 'x', micros: 1 })])).toMatchObject({
        applied: 1,
        tables: { [hashed('legacy-names-pkey')]: 1 },
      });
      expect(await ids('legacy_names')).toEqual([
        ['new', 'Legacy-Names'],
        ['old', 'Legacy-Names'],
      ]);
    });

    it('refuses a table left with no name of its own, naming what holds each and the TABLE_MAP fix, and writes its neighbours', async () => {
      // Tables this service did not create hold both of its candidates.
      await h.query('CREATE TABLE blocked (x integer)');
      await h.query(`CREATE TABLE "${hashed('blocked')}" (x integer)`);
      const result = await post([kinesisRecord({ table: 'blocked', id: 'a', micros: 1 }), kinesisRecord({ table: 'beside-blocked', id: 'a', micros: 1 })]);
      expect(result).toMatchObject({ applied: 1, deadLettered: 1, tables: { beside_blocked: 1 } });
      expect(result.failures[0].error).toBe(
        `DynamoDB table "blocked" has no target table of its own: blocked holds a table this service did not create named blocked; ` +
          `${hashed('blocked')} holds a table this service did not create named ${hashed('blocked')}. Name one with TABLE_MAP (for example TABLE_MAP='blocked=blocked_2')`,
      );
      const [letter] = await h.query<{ source_table: string; error: string }>(
        `SELECT source_table, error FROM cdc_dead_letters WHERE source_table = 'blocked'`,
      );
      expect(letter!.error).toBe(result.failures[0].error);
    });

    it('never writes a source table into the dead-letter table: a DynamoDB table cdc-dead-letters gets a name of its own', async () => {
      const response = await h.app.request(
        firehoseRequest(
          firehoseBody([
            kinesisRecord({ table: 'cdc-dead-letters', id: 'a', micros: 1 }),
            'bm90IGpzb24=',
            kinesisRecord({ table: 'beside-dlq', id: 'a', micros: 1 }),
          ]),
        ),
      );
      expect(response.status).toBe(200);
      expect(await ids(hashed('cdc-dead-letters'))).toEqual([['a', 'cdc-dead-letters']]);
      expect(await ids('beside_dlq')).toEqual([['a', 'beside-dlq']]);
      expect(await h.query(`SELECT error FROM cdc_dead_letters WHERE payload = 'bm90IGpzb24='`)).toHaveLength(1);
    });

    it("keeps a table named like another one's change log apart from that log", async () => {
      expect(await post([kinesisRecord({ table: 'foo-changes', id: 'x', micros: 1 }), kinesisRecord({ table: 'foo', id: 'f', micros: 1 })])).toMatchObject({
        applied: 2,
        tables: { foo: 1, [hashed('foo-changes')]: 1 },
      });
      const log = await h.query<{ pk: string }>('SELECT pk FROM foo_changes');
      expect(log.map((r) => r.pk)).toEqual(['{"id":"f"}']);
      expect(await ids(hashed('foo-changes'))).toEqual([['x', 'foo-changes']]);
    });
  });
}

describe('TABLE_MAP onto an internal table', () => {
  it.each([
    [{ TABLE_MAP: '*=cdc_dead_letters' }, 'TABLE_MAP: *=cdc_dead_letters: cdc_dead_letters is the internal table of dead letters; map it to another name'],
    [{ TABLE_MAP: 'a=cdc_table_owners' }, 'TABLE_MAP: a=cdc_table_owners: cdc_table_owners is the internal table of table owners; map it to another name'],
    [
      { TABLE_MAP: 'a=dlq', DEAD_LETTER_TABLE: 'dlq_changes' },
      'TABLE_MAP: a=dlq: its change log dlq_changes would be the internal table of dead letters; map it to another name',
    ],
  ])('is refused at start: %j', (env, problem) => {
    expect(loadConfig({ ACCESS_KEY: 'k', ...env })).toEqual({ ok: false, problems: [problem] });
  });

  it('sends a source table named like a TABLE_MAP target elsewhere', async () => {
    const h = await createHarness('pglite', { TABLE_MAP: 'Orders=customers' });
    try {
      const result = await readJson(
        await h.app.request(
          recordsRequest([kinesisRecord({ table: 'customers', id: 'c', micros: 1 }), kinesisRecord({ table: 'Orders', id: 'c', micros: 1 })]),
        ),
      );
      expect(result).toMatchObject({ applied: 2, tables: { customers: 1, [hashed('customers')]: 1 } });
    } finally {
      await h.close();
    }
  });
});
