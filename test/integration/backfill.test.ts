import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { parse as parseLossless } from 'lossless-json';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillVersion } from '../../src/backfill/backfill-version.js';
import { runBackfill, type BackfillOptions, type BackfillResult } from '../../src/backfill/run-backfill.js';
import { pruneGone } from '../../src/backfill/prune-gone.js';
import type { ScanState } from '../../src/backfill/scan-state.js';
import { SinkError } from '../../src/sink/sink.js';
import type { WriteBatch } from '../../src/translate/write-batch.js';
import { createTable, putItems, scanAll, startDynamoServer, type DynamoServer } from '../support/dynamodb-server.js';
import { emitRecords, expectedPk, historyArbitrary, mapMismatch, type Item } from '../support/dynamo-model.js';
import { kinesisRecord, recordsRequest } from '../support/records.js';
import { createHarness, sinkTargets, targetTitle, type Harness } from '../support/sinks.js';
import { wrapSink } from '../support/wrapped-sink.js';

// The backfill against a DynamoDB-compatible server (dynalite, in this process) and a real
// database, with stream changes applied through the service's own /records endpoint.
const target = (table: string) => table.toLowerCase().replace(/[^a-z0-9_]/g, '_');
const seedId = (i: number) => `item-${String(i).padStart(4, '0')}`;
const seedItems = (count: number): Record<string, AttributeValue>[] =>
  Array.from({ length: count }, (_, i) => ({ id: { S: seedId(i) }, n: { N: `${i}.50` }, tag: { S: 'seed' } }));

/** The prune statement of README's "Backfill" section, as a user would copy it. */

/**
 * Runs the hooks of concurrent segments one at a time, so that the order of the changes made
 * to DynamoDB is the order of their stream versions, as in DynamoDB itself.
 */
function oneAtATime() {
  let chain: Promise<unknown> = Promise.resolve();
  return <T>(run: () => Promise<T>): Promise<T> => {
    const next = chain.then(run);
    chain = next.catch(() => undefined);
    return next;
  };
}

interface Row {
  pk: string;
  data: string;
  deleted: boolean;
  version: string;
  event_name: string;
}

for (const sinkTarget of sinkTargets) {
  describe.skipIf(sinkTarget.skipReason !== null)(targetTitle('backfill into', sinkTarget), () => {
    let dynamo: DynamoServer;
    let h: Harness;
    let dir: string;
    let tables = 0;
    beforeAll(async () => {
      [dynamo, h] = await Promise.all([startDynamoServer(), createHarness(sinkTarget.name)]);
      dir = mkdtempSync(join(tmpdir(), 'backfill-'));
    });
    afterAll(async () => {
      await Promise.all([dynamo?.close(), h?.close()]);
      rmSync(dir, { recursive: true, force: true });
    });

    const freshTable = async (prefix: string, items: Record<string, AttributeValue>[]) => {
      const name = `${prefix}-${++tables}`;
      await createTable(dynamo.client, name, [{ name: 'id', type: 'S' }]);
      await putItems(dynamo.client, name, items);
      return name;
    };
    const backfill = (table: string, extra: Partial<BackfillOptions> = {}): Promise<BackfillResult> =>
      runBackfill({
        client: dynamo.client,
        table,
        segments: 4,
        statePath: join(dir, `${table}.json`),
        sink: h.sink,
        targets: h.targets,
        changeLog: false,
        retryDelayMs: 1,
        ...extra,
      });
    const rowsOf = async (table: string): Promise<Row[]> => (await h.rows(target(table))).map((r) => ({ ...r, data: r.item }));
    const stream = async (records: Record<string, unknown>[]) => {
      const response = await h.app.request(recordsRequest(records));
      expect(response.status, await response.clone().text()).toBe(200);
    };
    const stateOf = (table: string, file = `${table}.json`): ScanState => JSON.parse(readFileSync(join(dir, file), 'utf8')) as ScanState;

    /** The target table equals the DynamoDB table: every item live and equal, every other row a tombstone. */
    const expectExactCopy = async (table: string) => {
      const items = await scanAll(dynamo.client, table);
      const rows = await rowsOf(table);
      const byPk = new Map(rows.map((r) => [r.pk, r]));
      const live = new Set<string>();
      for (const item of items) {
        const pk = expectedPk({ id: item.id } as Item);
        live.add(pk);
        const row = byPk.get(pk);
        expect(row, `a row for ${pk}`).toBeDefined();
        expect(row!.deleted, `${pk} exists in DynamoDB`).toBe(false);
        expect(mapMismatch(item as Item, parseLossless(row!.data)), pk).toBeNull();
      }
      for (const row of rows) if (!live.has(row.pk)) expect(row.deleted, `${row.pk} is gone from DynamoDB`).toBe(true);
      return { items, rows };
    };

    // Thirty tables are created: time in proportion to the target (timeScale).
    it(
      'copies every item, of every attribute type, with S, N or B keys and optional sort keys',
      async () => {
        let copied = 0;
        const histories = fc.sample(historyArbitrary, { numRuns: 30, seed: 20261125 });
        for (const [run, history] of histories.entries()) {
          const { finalState } = emitRecords(history);
          for (const [t, spec] of history.tables.entries()) {
            const items = [...finalState[t]!.values()];
            if (items.length === 0) continue;
            const name = `types-${run}-${spec.name}`;
            await createTable(dynamo.client, name, spec.keys);
            await putItems(dynamo.client, name, items as Record<string, AttributeValue>[]);
            const result = await backfill(name, { segments: 3 });
            if (!result.ok) throw result.error;
            expect(result.summary).toMatchObject({ complete: true, scanned: items.length, applied: items.length, deadLettered: 0 });
            const rows = await rowsOf(name);
            expect(rows).toHaveLength(items.length);
            const byPk = new Map(rows.map((r) => [r.pk, r]));
            for (const item of items) {
              const pk = expectedPk(Object.fromEntries(spec.keys.map((k) => [k.name, item[k.name]!])));
              const row = byPk.get(pk);
              expect(row, `${name}: ${pk}`).toBeDefined();
              expect(row).toMatchObject({ deleted: false, event_name: 'INSERT', version: String(result.summary.version) });
              expect(mapMismatch(item, parseLossless(row!.data)), `${name} ${pk}`).toBeNull();
            }
            copied += items.length;
          }
        }
        expect(copied).toBeGreaterThan(40);
      },
      60_000 * sinkTarget.timeScale,
    );

    it('scans in parallel segments and writes each of 600 items exactly once, below every stream version', async () => {
      const table = await freshTable('bulk', seedItems(600));
      const result = await backfill(table, { segments: 4, pageSize: 25 });
      if (!result.ok) throw result.error;
      const { summary } = result;
      expect(summary).toMatchObject({ complete: true, resumed: false, scanned: 600, scannedNow: 600, applied: 600, stale: 0, duplicate: 0, segmentsDone: 4 });
      expect(summary.pages).toBeGreaterThanOrEqual(600 / 25);
      const state = stateOf(table);
      expect(state.segments.every((s) => s.done && s.cursor === null)).toBe(true);
      expect(state.segments.reduce((n, s) => n + s.scanned, 0)).toBe(600);
      expect(state.segments.filter((s) => s.scanned > 0).length, 'the items are spread over the segments').toBeGreaterThan(1);
      expect(summary.version).toBe(backfillVersion(state.runStartMicros));
      expect(summary.version).toBeLessThan(0);
      await expectExactCopy(table);
    });

    for (const order of ['stream first', 'stream after'] as const) {
      it(`converges while stream changes (updates, deletes, re-inserts) race the scan: ${order}`, async () => {
        const table = await freshTable(order === 'stream first' ? 'race-first' : 'race-after', seedItems(240));
        const alive = new Set(Array.from({ length: 240 }, (_, i) => seedId(i)));
        let micros = Date.now() * 1000;
        const put = async (id: string, tag: string) => {
          const attributes = { n: { N: String(micros) }, tag: { S: tag } };
          await dynamo.client.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, ...attributes } }));
          const eventName = alive.has(id) ? 'MODIFY' : 'INSERT';
          alive.add(id);
          return kinesisRecord({ table, id, eventName, micros: ++micros, attributes });
        };
        const remove = async (id: string) => {
          if (!alive.has(id)) return [];
          await dynamo.client.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: id } } }));
          alive.delete(id);
          return [kinesisRecord({ table, id, eventName: 'REMOVE', micros: ++micros })];
        };

        const held: Record<string, unknown>[] = [];
        const removedAfterRead = new Set<string>();
        let raced = 0;
        let batches = 0;
        // Between the Scan that read a page and the write of that page, DynamoDB changes under it.
        const serially = oneAtATime();
        const sink = wrapSink(h.sink, async (batch, write) => {
          await serially(() => mutateUnder(batch));
          return write();
        });
        const mutateUnder = async (batch: WriteBatch) => {
          const records: Record<string, unknown>[] = [];
          for (const [i, row] of (batch.tables[0]?.rows ?? []).entries()) {
            const id = (JSON.parse(row.pk) as { id: string }).id;
            if (i % 4 === 0) records.push(await put(id, 'updated after the read'));
            if (i % 4 === 1) {
              const removed = await remove(id);
              if (removed.length > 0) removedAfterRead.add(row.pk);
              records.push(...removed);
            }
            if (i % 8 === 2) records.push(...(await remove(id)), await put(id, 're-inserted'));
            if (i % 4 <= 1 || i % 8 === 2) raced++;
          }
          batches++;
          // Elsewhere in the table: an insert, and a delete the scan may not have reached yet.
          records.push(await put(`new-${batches}`, 'inserted during the scan'));
          records.push(...(await remove(seedId((batches * 53) % 240))));
          if (order === 'stream first') await stream(records);
          else held.push(...records);
        };

        const result = await backfill(table, { sink, segments: 3, pageSize: 16 });
        if (!result.ok) throw result.error;
        expect(result.summary.complete).toBe(true);
        if (order === 'stream first') {
          // Every item changed after its read was already newer in the database: the backfill lost.
          expect(result.summary.stale).toBeGreaterThanOrEqual(raced);
        } else {
          expect(result.summary.stale).toBe(0);
          // Late, shuffled and duplicated, as Firehose may deliver them.
          const late = fc.sample(fc.shuffledSubarray([...held, ...held.slice(0, 40)], { minLength: held.length + 40 }), { numRuns: 1, seed: 7 })[0]!;
          for (let i = 0; i < late.length; i += 25) await stream(late.slice(i, i + 25));
        }
        expect(removedAfterRead.size).toBeGreaterThan(10);
        const { rows } = await expectExactCopy(table);
        const byPk = new Map(rows.map((r) => [r.pk, r]));
        for (const pk of removedAfterRead) expect(byPk.get(pk)?.deleted, `${pk} not resurrected`).toBe(true);
      });
    }

    // Twenty-five tables are created: time in proportion to the target (timeScale).
    it(
      'converges for random interleavings of scan pages, changes and their delivery (property)',
      async () => {
        const op = fc.record({ put: fc.boolean(), id: fc.nat(49), now: fc.boolean() });
        const plan = fc.record({
          before: fc.array(op, { maxLength: 10 }), // changes while the stream is on, before the backfill
          perPage: fc.array(fc.array(op, { maxLength: 4 }), { minLength: 1, maxLength: 12 }),
          segments: fc.integer({ min: 1, max: 4 }),
          pageSize: fc.integer({ min: 2, max: 12 }),
          seed: fc.integer(),
        });
        await fc.assert(
          fc.asyncProperty(plan, async ({ before, perPage, segments, pageSize, seed }) => {
            const table = await freshTable('prop', seedItems(40));
            const alive = new Set(Array.from({ length: 40 }, (_, i) => seedId(i)));
            let micros = Date.now() * 1000;
            const held: Record<string, unknown>[] = [];
            const apply = async (ops: { put: boolean; id: number; now: boolean }[]) => {
              const now: Record<string, unknown>[] = [];
              for (const { put, id: n, now: deliverNow } of ops) {
                const id = seedId(n);
                let record: Record<string, unknown> | null = null;
                if (put) {
                  const attributes = { n: { N: String(micros) }, tag: { S: 'streamed' } };
                  await dynamo.client.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, ...attributes } }));
                  record = kinesisRecord({ table, id, eventName: alive.has(id) ? 'MODIFY' : 'INSERT', micros: ++micros, attributes });
                  alive.add(id);
                } else if (alive.has(id)) {
                  await dynamo.client.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: id } } }));
                  record = kinesisRecord({ table, id, eventName: 'REMOVE', micros: ++micros });
                  alive.delete(id);
                }
                if (record) (deliverNow ? now : held).push(record);
              }
              if (now.length > 0) await stream(now);
            };
            await apply(before);
            let page = 0;
            const serially = oneAtATime();
            const sink = wrapSink(h.sink, async (_batch, write) => {
              await serially(() => apply(perPage[page++ % perPage.length]!));
              return write();
            });
            const result = await backfill(table, { sink, segments, pageSize });
            if (!result.ok) throw result.error;
            const late = fc.sample(fc.shuffledSubarray([...held, ...held], { minLength: 2 * held.length }), { numRuns: 1, seed })[0]!;
            for (let i = 0; i < late.length; i += 7) await stream(late.slice(i, i + 7));
            await expectExactCopy(table);
          }),
          { numRuns: 25 },
        );
      },
      60_000 * sinkTarget.timeScale,
    );

    it('resumes after an interruption from the saved cursors, losing and repeating nothing', async () => {
      const table = await freshTable('interrupted', seedItems(300));
      const stop = new AbortController();
      let pages = 0;
      const first = await backfill(table, {
        segments: 3,
        pageSize: 10,
        signal: stop.signal,
        onProgress: () => {
          if (++pages === 5) stop.abort();
        },
      });
      if (!first.ok) throw first.error;
      expect(first.summary.complete).toBe(false);
      const saved = stateOf(table);
      const scannedBefore = saved.segments.reduce((n, s) => n + s.scanned, 0);
      expect(scannedBefore).toBe(first.summary.applied);
      expect(scannedBefore).toBeLessThan(300);
      expect(saved.segments.some((s) => !s.done && s.cursor !== null)).toBe(true);
      expect((await rowsOf(table)).length).toBe(scannedBefore);

      const second = await backfill(table, { segments: 3, pageSize: 10 });
      if (!second.ok) throw second.error;
      expect(second.summary).toMatchObject({ complete: true, resumed: true, scanned: 300, scannedNow: 300 - scannedBefore, duplicate: 0 });
      expect(second.summary.version, 'a resumed run keeps its version').toBe(first.summary.version);
      expect(first.summary.applied + second.summary.applied).toBe(300);
      const { rows } = await expectExactCopy(table);
      expect(rows).toHaveLength(300);

      const again = await backfill(table, { segments: 3 });
      if (!again.ok) throw again.error;
      expect(again.summary, 'a finished run has nothing left to scan').toMatchObject({ complete: true, resumed: true, scannedNow: 0, pages: 0 });
    });

    it('stops on a database outage with the failed page unsaved, and a resume rewrites only that page', async () => {
      const table = await freshTable('outage', seedItems(200));
      let writes = 0;
      let lostPage = 0;
      // The third page reaches the database, but the answer is lost (the process died, the
      // connection dropped): its cursor is not saved.
      const flaky = wrapSink(h.sink, async (batch, write) => {
        const written = await write();
        if (++writes !== 3) return written;
        lostPage = batch.tables[0]!.rows.length;
        return { ok: false, error: new SinkError('connection reset after commit', true) };
      });
      const first = await backfill(table, { sink: flaky, segments: 1, pageSize: 20, sinkRetries: 0 });
      expect(first.ok).toBe(false);
      if (first.ok) return;
      expect(first.error.code).toBe('SINK_FAILED');
      expect(first.summary).toMatchObject({ complete: false, scanned: 40 });
      expect(stateOf(table).segments[0]!.scanned).toBe(40);

      const second = await backfill(table, { segments: 1, pageSize: 20 });
      if (!second.ok) throw second.error;
      expect(lostPage).toBe(20);
      expect(second.summary).toMatchObject({ complete: true, resumed: true, scanned: 200, duplicate: lostPage, applied: 200 - 40 - lostPage });
      await expectExactCopy(table);
    });

    it('dead-letters an item the database refuses and copies the items around it', async () => {
      const items = seedItems(30);
      items[17] = { id: { S: seedId(17) }, note: { S: 'PostgreSQL text cannot hold \u0000' } };
      const table = await freshTable('refused', items);
      await h.refuseNul(target(table));
      const result = await backfill(table, { segments: 2 });
      if (!result.ok) throw result.error;
      expect(result.summary).toMatchObject({ complete: true, applied: 29, deadLettered: 1 });
      const letters = await h.deadLetters({ sourceTable: table });
      expect(letters).toHaveLength(1);
      expect(letters[0]!.payload).toContain(seedId(17));
      expect(letters[0]!.error).toMatch(/refused the row/);
      expect((await rowsOf(table)).map((r) => r.pk)).not.toContain(expectedPk({ id: { S: seedId(17) } }));
      expect(await rowsOf(table)).toHaveLength(29);
    });

    it('retries a page while the database is briefly unavailable', async () => {
      const table = await freshTable('retry', seedItems(50));
      let refusals = 0;
      const blip = wrapSink(h.sink, async (_batch, write) => (++refusals <= 2 ? { ok: false, error: new SinkError('connection refused', true) } : write()));
      const result = await backfill(table, { sink: blip, segments: 1 });
      if (!result.ok) throw result.error;
      expect(result.summary).toMatchObject({ complete: true, applied: 50 });
      await expectExactCopy(table);
    });

    it('stream turned on after a first backfill: a second run with --prune gives an exact copy', async () => {
      const table = await freshTable('late-stream', seedItems(60));
      const first = await backfill(table, { segments: 2 });
      if (!first.ok) throw first.error;

      // Before the stream exists: changes that no stream will ever deliver.
      for (let i = 0; i < 5; i++) await dynamo.client.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: seedId(i) } } }));
      await putItems(
        dynamo.client,
        table,
        [5, 6, 7].map((i) => ({ id: { S: seedId(i) }, n: { N: '-1' }, tag: { S: 'changed before the stream' } })),
      );
      await putItems(dynamo.client, table, [{ id: { S: 'born-before-stream' }, n: { N: '1' }, tag: { S: 'new' } }]);

      // The stream is on: its changes arrive.
      let micros = Date.now() * 1000;
      const attributes = { n: { N: '2' }, tag: { S: 'changed on the stream' } };
      await dynamo.client.send(new PutItemCommand({ TableName: table, Item: { id: { S: seedId(10) }, ...attributes } }));
      await dynamo.client.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: seedId(11) } } }));
      await stream([
        kinesisRecord({ table, id: seedId(10), eventName: 'MODIFY', micros: ++micros, attributes }),
        kinesisRecord({ table, id: seedId(11), eventName: 'REMOVE', micros: ++micros }),
      ]);

      const second = await backfill(table, { segments: 2, restart: true });
      if (!second.ok) throw second.error;
      expect(second.summary.version, 'a later run outranks an earlier one').toBeGreaterThan(first.summary.version);
      // The stream's changes (and its tombstone) stay; what changed before the stream is updated.
      expect(second.summary.stale).toBe(1);
      const stillLive = (await rowsOf(table)).filter((r) => !r.deleted && r.version === String(first.summary.version));
      expect(
        stillLive.map((r) => r.pk),
        'deleted before the stream: no run could see them go',
      ).toEqual([0, 1, 2, 3, 4].map((i) => expectedPk({ id: { S: seedId(i) } })));

      // --prune: the rows the complete second run no longer saw become tombstones.
      const pruned = await pruneGone({ sink: h.sink, table, targets: h.targets, version: second.summary.version });
      expect(pruned).toEqual({ ok: true, pruned: 5, kept: 0 });
      await expectExactCopy(table);
      expect(await pruneGone({ sink: h.sink, table, targets: h.targets, version: second.summary.version }), 'pruning again finds nothing').toEqual({
        ok: true,
        pruned: 0,
        kept: 0,
      });
    });

    it('refuses a cursor file of another split or table instead of skipping items', async () => {
      const table = await freshTable('mismatch', seedItems(5));
      const first = await backfill(table, { segments: 2 });
      expect(first.ok).toBe(true);
      const other = await backfill(table, { segments: 3 });
      expect(other.ok).toBe(false);
      if (!other.ok) expect(other.error.message).toMatch(/holds a run with 2 segments: resume with --segments 2, or pass --restart/);
      const wrongTable = await backfill(await freshTable('mismatch', []), { segments: 2, statePath: join(dir, `${table}.json`) });
      expect(wrongTable.ok).toBe(false);
      if (!wrongTable.ok) expect(wrongTable.error.code).toBe('STATE_MISMATCH');
      const missing = await backfill('no-such-table', { segments: 2 });
      expect(missing.ok).toBe(false);
      if (!missing.ok) expect(missing.error.code).toBe('DESCRIBE_FAILED');
    });
  });
}
