import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firehoseBody, firehoseRequest } from '../support/firehose.js';
import { readJson } from '../support/read-json.js';
import { kinesisRecord, recordsRequest } from '../support/records.js';
import { scrape } from '../support/prometheus.js';
import { createHarness, crateDbTargets, targetTitle, type Harness, type TargetName } from '../support/sinks.js';

/** A fresh harness per test; `post` sends records to /records. */
function perTest(target: TargetName, env: Record<string, string> = {}) {
  const ref = { h: undefined as unknown as Harness };
  beforeEach(async () => {
    ref.h = await createHarness(target, env);
  });
  afterEach(async () => ref.h?.close());
  const post = async (records: unknown[]) => {
    const response = await ref.h.app.request(recordsRequest(records));
    return { status: response.status, body: await readJson(response) };
  };
  /** Bulk writes of state-table rows: plain inserts of new keys, compare-and-set updates and version-gated upserts. */
  const upserts = () =>
    ref.h.requests!.filter((r) => r.bulk && /^(INSERT INTO "[^"]+"\."[^"]+" \("pk", "data"|UPDATE "[^"]+"\."[^"]+" SET "data")/.test(r.stmt));
  return { ref, post, upserts };
}

/** What a recorded request was: a bulk `insert`, `update` or `upsert`, or the first word of another statement. */
function kindOf(r: { stmt: string; bulk: boolean }): string {
  if (!r.bulk) return r.stmt.split(' ')[0]!;
  return r.stmt.includes('ON CONFLICT') ? 'upsert' : r.stmt.startsWith('UPDATE') ? 'update' : 'insert';
}

// The CrateDB sink's HTTP behaviour, against test/support/cratedb-stand-in.ts (not CrateDB: it
// answers with the shapes CrateDB documents and imitates the rules in CONTEXT.md §3) and against a
// real CrateDB where CRATEDB_URL is set, whose requests are recorded by a proxy.
for (const target of crateDbTargets) {
  describe.skipIf(target.skipReason !== null)(targetTitle('CrateDB sink over HTTP:', target), () => {
    const { ref, post, upserts } = perTest(target.name);
    let h: Harness;
    beforeEach(() => {
      h = ref.h;
    });

    /**
     * Runs `ours` while a second writer on the same tables sends `theirs` once, right after the
     * answer to our first lookup naming `key`: a write behind that lookup's back.
     */
    const racing = async (key: string, theirs: unknown[], ours: () => Promise<void>) => {
      const racer = await createHarness(target.name, h.standIn ? { SINK_URL: `${h.standIn.url}/?schema=doc` } : { TARGET_SCHEMA: h.schema });
      try {
        let raced = false;
        h.afterAnswer!.add(
          (r) => !raced && !r.bulk && r.stmt.startsWith('SELECT "pk", "version"') && r.stmt.includes(key),
          async () => {
            raced = true;
            expect((await racer.app.request(recordsRequest(theirs))).status).toBe(200);
          },
        );
        await ours();
        expect(raced, 'the second writer wrote').toBe(true);
      } finally {
        await racer.sink.close();
      }
    };

    it('sends one bulk request per table per delivery: a plain insert of INSERT rows, a lookup and an upsert of the others', async () => {
      await post([kinesisRecord({ table: 'a', id: 'warm', micros: 1 }), kinesisRecord({ table: 'b', id: 'warm', micros: 1 })]);
      h.requests!.length = 0;
      const records = (eventName: 'INSERT' | 'MODIFY', micros: number) =>
        Array.from({ length: 50 }, (_, i) => kinesisRecord({ table: i % 2 ? 'a' : 'b', id: `k${i}`, micros: micros + i, eventName }));
      const inserted = await post(records('INSERT', 10));
      expect(inserted.status).toBe(200);
      expect(inserted.body).toMatchObject({ applied: 50 });
      // INSERT events of keys not stored: one plain insert per table, no lookup.
      expect(h.requests!.map((r) => [kindOf(r), r.rows ?? 0])).toEqual([
        ['insert', 25],
        ['insert', 25],
      ]);
      h.requests!.length = 0;
      const modified = await post(records('MODIFY', 100));
      expect(modified.body).toMatchObject({ applied: 50 });
      // Per table: one primary-key lookup of the stored versions, one bulk compare-and-set update; nothing else.
      expect(h.requests!).toHaveLength(4);
      expect(
        upserts()
          .map((r) => r.rows)
          .sort(),
      ).toEqual([25, 25]);
      expect(upserts().map(kindOf)).toEqual(['update', 'update']);
      expect(h.requests!.filter((r) => !r.bulk && r.stmt.startsWith('SELECT "pk", "version"'))).toHaveLength(2);
    });

    it("splits the primary-key lookup so that no statement exceeds CrateDB's statement_max_length (262,144 characters)", async () => {
      const id = (i: number) => `${String(i).padStart(200, '0')}`;
      await post([kinesisRecord({ id: id(0), micros: 1 })]);
      h.requests!.length = 0;
      const { status, body } = await post(Array.from({ length: 1_500 }, (_, i) => kinesisRecord({ id: id(i), micros: 10 + i, eventName: 'MODIFY' })));
      expect(status).toBe(200);
      expect(body).toMatchObject({ applied: 1_500 });
      const lookups = h.requests!.filter((r) => !r.bulk && r.stmt.startsWith('SELECT "pk", "version"'));
      expect(lookups.length).toBeGreaterThanOrEqual(2);
      for (const l of lookups) expect(l.stmt.length).toBeLessThanOrEqual(262_144);
    });

    it('inserts keys the lookup did not find plainly, upserts the others, and gates a key another writer inserted meanwhile (4091)', async () => {
      await post([kinesisRecord({ id: 'old', micros: 1 })]);
      h.requests!.length = 0;
      expect(
        (await post([kinesisRecord({ id: 'old', micros: 2, eventName: 'MODIFY' }), kinesisRecord({ id: 'new', micros: 2, eventName: 'MODIFY' })])).body,
      ).toMatchObject({ applied: 2 });
      const writes = upserts();
      expect(writes.map((w) => [kindOf(w), w.rows])).toEqual([
        ['insert', 1],
        ['update', 1],
      ]);
      // A row written behind the lookup's back: the plain insert is refused, and what is stored
      // now is looked up: the racer's change is newer, so ours is stale and not written.
      await racing('raced', [kinesisRecord({ id: 'raced', micros: 9, attributes: { by: { S: 'racer' } } })], async () => {
        h.requests!.length = 0;
        const ours = await post([kinesisRecord({ id: 'raced', micros: 5, eventName: 'MODIFY', attributes: { by: { S: 'us' } } })]);
        expect(ours.body).toMatchObject({ applied: 0, stale: 1 });
        // Our plain insert (and the racer's, where it shares the recording): no write after it.
        expect(upserts().length).toBeGreaterThanOrEqual(1);
        expect(upserts().filter((w) => kindOf(w) !== 'insert')).toEqual([]);
      });
      // The racer's newer change stands: our older one was gated, never written over it.
      expect(JSON.parse((await h.row('contract_items', { id: 'raced' }))!.item)).toEqual({ by: 'racer', id: 'raced' });
    });

    it('replaces a stored row by compare-and-set; one written between the lookup and the update (4092) goes through the version-gated upsert', async () => {
      await post([kinesisRecord({ id: 'cas', micros: 1, attributes: { by: { S: 'first' } } })]);
      // The racer's change: newer than what our lookup read, older than ours.
      await racing('cas', [kinesisRecord({ id: 'cas', micros: 5, eventName: 'MODIFY', attributes: { by: { S: 'racer' } } })], async () => {
        h.requests!.length = 0;
        expect((await post([kinesisRecord({ id: 'cas', micros: 9, eventName: 'MODIFY', attributes: { by: { S: 'us' } } })])).body).toMatchObject({
          applied: 1,
        });
        // Ours: the lookup, the update the racer's write made fail, then the upsert.
        expect(upserts().map(kindOf).slice(-2)).toEqual(['update', 'upsert']);
      });
      expect(JSON.parse((await h.row('contract_items', { id: 'cas' }))!.item)).toEqual({ by: 'us', id: 'cas' });
    });

    it("updates stored rows beside one that adds a sub-column, all of them (CrateDB 6.4.3 loses the others' data in one request)", async () => {
      const one = await createHarness(target.name, {
        ...(h.standIn ? { SINK_URL: `${h.standIn.url}/?schema=doc` } : { TARGET_SCHEMA: h.schema }),
        CRATEDB_SHARDS: '1',
      });
      try {
        const send = async (records: unknown[]) => (await one.app.request(recordsRequest(records))).status;
        const ids = ['adder', ...Array.from({ length: 8 }, (_, i) => `k${i}`)];
        expect(await send(ids.map((id) => kinesisRecord({ table: 'mapping', id, micros: 1, attributes: { u: { S: 'old' } } })))).toBe(200);
        const recorded = h.standIn ? h.requests! : one.requests!;
        recorded.length = 0;
        // The first row adds `added`; every other drops `u`.
        const records = ids.map((id, i) => kinesisRecord({ table: 'mapping', id, micros: 2, attributes: i === 0 ? { added: { S: 'x' } } : {} }));
        expect(await send(records)).toBe(200);
        for (const id of ids) {
          const row = await h.row('mapping', { id });
          expect(JSON.parse(row!.data), id).toEqual(id === 'adder' ? { added: 'x', id } : { id });
        }
        const requestRows = recorded.filter((r) => kindOf(r) === 'update').map((r) => r.rows);
        expect(requestRows.sort(), 'the row changing the mapping alone, after the others').toEqual([1, 8]);
      } finally {
        await one.close();
      }
    });

    it('splits a table write only above the configured row bound', async () => {
      await h.close();
      ref.h = h = await createHarness(target.name, { SINK_MAX_ROWS_PER_STATEMENT: '20' });
      await post(Array.from({ length: 50 }, (_, i) => kinesisRecord({ id: `k${i}`, micros: 10 + i })));
      expect(upserts().map((r) => r.rows)).toEqual([20, 20, 10]);
    });

    it('keeps values CrateDB cannot index exactly in aux, and the exact item in item', async () => {
      const record = kinesisRecord({
        id: 'div',
        micros: 5,
        attributes: { 'a.b': { S: 'dotted' }, mixed: { L: [{ S: 'x' }, { N: '1' }] }, big: { N: '123456789012345678901234567890' }, ok: { N: '1' } },
      });
      expect((await post([record])).body).toMatchObject({ applied: 1 });
      const row = (await h.row('contract_items', { id: 'div' }))!;
      expect(JSON.parse(row.data)).toEqual({ ok: 1, id: 'div' });
      expect(row.aux.map((d: { path: string[]; reason: string; value: string }) => [d.path.join('/'), d.reason, d.value])).toEqual([
        ['a.b', 'invalid_key', '"dotted"'],
        ['mixed', 'mixed_array', '["x",1]'],
        ['big', 'number_precision', '123456789012345678901234567890'],
      ]);
      expect(row.item).toBe('{"a.b":"dotted","mixed":["x",1],"big":123456789012345678901234567890,"ok":1,"id":"div"}');
      const m = await scrape(h.app);
      for (const reason of ['invalid_key', 'mixed_array', 'number_precision']) {
        expect(m.value('cdc_values_diverted_total', { table: 'contract_items', reason }), reason).toBe(1);
      }
    });

    it('never lets CrateDB cast a value silently: a sub-column another writer typed first is learned after the write, and the rows written again', async () => {
      await post([kinesisRecord({ id: 'first', micros: 1 })]);
      // Another writer (another instance, with its own cache) made data['mood'] TEXT meanwhile.
      await h.subColumnByAnotherWriter('contract_items', 'mood', 'calm');
      h.requests!.length = 0;
      const records = [1, 2, 3, 4].map((i) => kinesisRecord({ id: `r${i}`, micros: 10 + i, attributes: { mood: i === 1 ? { N: '7.5' } : { S: 'ok' } } }));
      const { status, body } = await post(records);
      expect(status).toBe(200);
      expect(body).toMatchObject({ applied: 4, deadLettered: 0 });
      const rows = await Promise.all(['r1', 'r2', 'r3', 'r4'].map(async (id) => (await h.row('contract_items', { id }))!));
      // CrateDB would have stored 7.5 as the text "7.5": it is in aux, exact, and data holds no cast value.
      expect(rows.map((r) => [JSON.parse(r.pk).id, JSON.parse(r.data).mood ?? null, r.aux])).toEqual([
        ['r1', null, [{ path: ['mood'], value: '7.5', reason: 'type_conflict' }]],
        ['r2', 'ok', []],
        ['r3', 'ok', []],
        ['r4', 'ok', []],
      ]);
      // Bounded: the bulk, then one rewrite of the rows whose projection changed.
      expect(upserts().map((r) => r.rows)).toEqual([4, 4]);
    });

    it('learns the true types when a value cannot be cast (the whole bulk fails with 400) and writes the delivery again at once', async () => {
      await post([kinesisRecord({ id: 'first', micros: 1 })]);
      await h.subColumnByAnotherWriter('contract_items', 'level', 1.5);
      h.requests!.length = 0;
      const records = [1, 2, 3].map((i) => kinesisRecord({ id: `l${i}`, micros: 10 + i, attributes: { level: i === 2 ? { N: '3' } : { S: 'high' } } }));
      const { status, body } = await post(records);
      expect(status).toBe(200);
      expect(body).toMatchObject({ applied: 3, deadLettered: 0 });
      expect((await h.row('contract_items', { id: 'l1' }))!.aux).toEqual([{ path: ['level'], value: '"high"', reason: 'type_conflict' }]);
      // The failed bulk, then the same rows projected under the learned types: no halving.
      expect(upserts().map((r) => r.rows)).toEqual([3, 3]);
    });

    it('sends no upsert for rows the table already holds, and counts them: INSERT rows refused as stored (4091), then looked up first while most are', async () => {
      const records = [kinesisRecord({ id: 'd1', micros: 10 }), kinesisRecord({ id: 'd2', micros: 10 })];
      expect((await post(records)).body).toMatchObject({ applied: 2 });
      const older = kinesisRecord({ id: 'd1', micros: 5, eventId: 'older' });
      const kinds = () => h.requests!.map(kindOf);
      // A redelivery: the plain insert (no lookup before it) refuses both, which are then looked up.
      h.requests!.length = 0;
      expect((await post([...records, older])).body).toMatchObject({ applied: 0, duplicate: 2, stale: 1 });
      expect(kinds()).toEqual(['insert', 'SELECT']);
      // Most of that table's INSERT rows were stored already: the next ones are looked up first.
      h.requests!.length = 0;
      expect((await post(records)).body).toMatchObject({ applied: 0, duplicate: 2 });
      expect(kinds()).toEqual(['SELECT']);
      // Which finds new keys again: a lookup and a plain insert, then no lookup before the next.
      h.requests!.length = 0;
      expect((await post([kinesisRecord({ id: 'd3', micros: 10 })])).body).toMatchObject({ applied: 1 });
      expect(kinds()).toEqual(['SELECT', 'insert']);
      h.requests!.length = 0;
      expect((await post([kinesisRecord({ id: 'd4', micros: 10 })])).body).toMatchObject({ applied: 1 });
      expect(kinds()).toEqual(['insert']);
      expect(await h.row('contract_items', { id: 'd1' })).toMatchObject({ version: '10' });
    });

    it('counts a redelivery of many INSERT rows as duplicates with one lookup, though CrateDB gives the errors of 10 refused rows only', async () => {
      const records = Array.from({ length: 40 }, (_, i) => kinesisRecord({ id: `many${i}`, micros: 10 }));
      expect((await post(records)).body).toMatchObject({ applied: 40 });
      h.requests!.length = 0;
      expect((await post(records)).body).toMatchObject({ applied: 0, duplicate: 40 });
      const kinds = h.requests!.map(kindOf);
      expect(kinds).toEqual(['insert', 'SELECT']);
    });

    it('applies the version gate in CrateDB SQL: older changes leave the row alone, tombstones stay', async () => {
      await post([kinesisRecord({ id: 'g', micros: 100, attributes: { v: { S: 'new' } } })]);
      await post([kinesisRecord({ id: 'g', micros: 50, attributes: { v: { S: 'old' } } })]);
      await post([kinesisRecord({ id: 'g', eventName: 'REMOVE', micros: 200 })]);
      await post([kinesisRecord({ id: 'g', micros: 150, attributes: { v: { S: 'late' } } })]);
      expect(await h.row('contract_items', { id: 'g' })).toMatchObject({ deleted: true, version: '200', item: '{"id":"g"}', seq: '' });
    });

    it('creates a table again after it was dropped (4041)', async () => {
      await post([kinesisRecord({ id: 'a', micros: 1 })]);
      await h.dropTable('contract_items');
      expect((await post([kinesisRecord({ id: 'b', micros: 2 })])).body).toMatchObject({ applied: 1 });
    });

    it('creates the change log and the dead-letter table again after they were dropped', async () => {
      await h.close();
      ref.h = h = await createHarness(target.name, { CHANGE_LOG: 'true' });
      const poison = (n: number) => Buffer.from(`not a record ${n}`).toString('base64');
      expect((await h.app.request(firehoseRequest(firehoseBody([kinesisRecord({ id: 'a', micros: 1 }), poison(1)])))).status).toBe(200);
      await h.dropTable('contract_items_changes');
      await h.dropTable('cdc_dead_letters');
      expect((await h.app.request(firehoseRequest(firehoseBody([kinesisRecord({ id: 'b', micros: 2 }), poison(2)])))).status).toBe(200);
      expect(await h.pks('contract_items_changes')).toEqual(['{"id":"b"}']);
      expect((await h.deadLetters()).map((l) => l.payload)).toEqual([poison(2)]);
    });

    it('purges tombstones below a version', async () => {
      await post([kinesisRecord({ id: 'p', micros: 1 }), kinesisRecord({ id: 'q', micros: 1 })]);
      await post([kinesisRecord({ id: 'p', eventName: 'REMOVE', micros: 5 })]);
      expect(await h.sink.purgeTombstones(10)).toBe(1);
      expect(await h.pks('contract_items')).toEqual(['{"id":"q"}']);
    });
  });
}

// Far above what a loaded machine makes of an ordinary answer, far below a stalled one's.
const REQUEST_TIMEOUT_MS = 5_000;
const STALL_MS = 50_000;

// Faults only the stand-in can inject: refused rows, error answers, resets, delays, a password.
describe('CrateDB sink over HTTP: faults injected into the stand-in', () => {
  const { ref, post } = perTest('cratedb-stand-in', { SINK_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
  let h: Harness;
  beforeEach(() => {
    h = ref.h;
  });

  it('retries a -2 row alone, keeps it whole in aux when that works, and dead-letters it when nothing does', async () => {
    h.standIn!.refuseRow = (args) => {
      const data = JSON.stringify(args[1]);
      if (String(args[0]).includes('"stubborn"')) return 'refused whatever its shape';
      return data.includes('"picky"') ? 'cannot store picky here' : null;
    };
    const records = [
      kinesisRecord({ id: 'fine', micros: 1 }),
      kinesisRecord({ id: 'shape', micros: 1, attributes: { picky: { S: 'v' } } }),
      kinesisRecord({ id: 'stubborn', micros: 1 }),
    ];
    const { status, body } = await post(records);
    expect(status).toBe(200);
    expect(body).toMatchObject({ applied: 2, deadLettered: 1, failures: [{ index: 2 }] });
    expect(body.failures[0].error).toContain('refused whatever its shape');
    const [shape] = await h.query<{ data: string; aux: string }>(`SELECT data::text AS data, aux::text AS aux FROM contract_items WHERE pk = $1`, [
      JSON.stringify({ id: 'shape' }),
    ]);
    expect(JSON.parse(shape!.data)).toEqual({ id: 'shape' });
    expect(JSON.parse(shape!.aux)).toEqual([{ path: ['picky'], value: '"v"', reason: 'refused' }]);
    expect(await h.query(`SELECT error FROM cdc_dead_letters WHERE source = 'sink'`)).toHaveLength(1);
  });

  it('learns the error of a -2 row that came without one by retrying it alone', async () => {
    let calls = 0;
    h.standIn!.refuseRow = (args) => {
      if (!String(args[0]).includes('"quiet"')) return null;
      calls++;
      return calls === 1 ? { code: 4000 } : { code: 4000, message: `still refused (${calls})` };
    };
    const { status, body } = await post([kinesisRecord({ id: 'quiet', micros: 1 }), kinesisRecord({ id: 'loud', micros: 1 })]);
    expect(status).toBe(200);
    expect(body).toMatchObject({ applied: 1, deadLettered: 1, failures: [{ index: 0 }] });
    // The bulk gave no error; the row alone (re-projected, then all in aux) gave the last one.
    expect(body.failures[0].error).toBe('cratedb refused the row: CrateDB answered 400 (4000): still refused (3)');
  });

  it("answers Firehose 503 when a bulk row fails with a 5xxx error (not the row's fault), and applies it on the retry", async () => {
    let failing = true;
    h.standIn!.refuseRow = (args) => (failing && String(args[0]).includes('"shard"') ? { code: 5000, message: 'shard not available' } : null);
    const body = firehoseBody([kinesisRecord({ id: 'shard', micros: 1 }), kinesisRecord({ id: 'ok', micros: 1 })]);
    const first = await h.app.request(firehoseRequest(body));
    expect(first.status).toBe(503);
    expect((await readJson(first)).errorMessage).toContain('shard not available');
    failing = false;
    expect((await h.app.request(firehoseRequest(body))).status).toBe(200);
    expect(await h.query('SELECT pk FROM contract_items ORDER BY pk')).toEqual([{ pk: '{"id":"ok"}' }, { pk: '{"id":"shard"}' }]);
    expect(
      h.standIn!.requests.filter((r) => r.stmt.includes('cdc_dead_letters')),
      'nothing dead-lettered',
    ).toHaveLength(0);
  });

  it.each([
    ['a 503', { kind: 'status' as const, status: 503, body: '{"error":{"message":"unavailable","code":5030}}' }],
    [
      'a circuit-breaker 500',
      { kind: 'status' as const, status: 500, body: '{"error":{"message":"CircuitBreakingException[[parent] Data too large]","code":5000}}' },
    ],
    ['a connection reset', { kind: 'reset' as const }],
    ['an answer slower than the request timeout', { kind: 'delay' as const, ms: STALL_MS }],
  ])('answers Firehose 503 (retry) on %s, and 200 on the retry', async (_what, fault) => {
    await post([kinesisRecord({ id: 'warm', micros: 1 })]);
    const body = firehoseBody([kinesisRecord({ id: 'x', micros: 2 })]);
    h.standIn!.inject(fault);
    const started = Date.now();
    const failed = await h.app.request(firehoseRequest(body));
    expect(failed.status).toBe(503);
    // Given up at the timeout, not when the stalled answer would have come.
    expect(Date.now() - started).toBeLessThan(STALL_MS - REQUEST_TIMEOUT_MS);
    expect((await readJson(failed)).errorMessage).toMatch(/cratedb/);
    expect((await h.app.request(firehoseRequest(body))).status).toBe(200);
  });

  it('reads the plain-text 401 and does not call it retryable trouble', async () => {
    h.standIn!.password = 'right';
    const response = await h.app.request(firehoseRequest(firehoseBody([kinesisRecord({ id: 'x', micros: 1 })])));
    expect(response.status).toBe(500);
    expect((await readJson(response)).errorMessage).toContain('401');
  });
});
