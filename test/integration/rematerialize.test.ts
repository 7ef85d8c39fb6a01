import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLosslessNumber } from 'lossless-json';
import { afterAll, describe, expect, it } from 'vitest';
import { parseColumnMap, type ColumnSpec } from '../../src/config/column-map.js';
import type { RewriteState } from '../../src/rematerialize/rewrite-state.js';
import { runRematerialize, type RematerializeOptions } from '../../src/rematerialize/run-rematerialize.js';
import type { ColumnRewrite } from '../../src/sink/sink.js';
import { typedColumns } from '../../src/translate/typed-columns.js';
import { kinesisRecord, recordsRequest } from '../support/records.js';
import { compiledEntry, root } from '../support/service-process.js';
import { crateDbTargets, createHarness, describeTargets, sinkTargets, type Harness } from '../support/sinks.js';

// README "Columns", rematerialize: after a change of COLUMN_MAP, `npm run rematerialize` makes the
// rows written before it what a fresh load under the new map gives, on every sink; resumable; and
// a row the stream changes meanwhile keeps what the stream wrote.

const dir = mkdtempSync(join(tmpdir(), 'rematerialize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mapA = `
  ident: { path: id, type: text }
  device: { path: device, type: text }
  seen_at: { path: seen, type: timestamp, from: epoch_seconds }
  level: { path: [reading, level], type: double }`;
// B: the same columns, one read differently (from), one from another path, two new ones.
const mapB = `
  ident: { path: id, type: text }
  device: { path: device, type: text }
  seen_at: { path: seen, type: timestamp, from: epoch_millis }
  level: { path: [reading, calibrated], type: double }
  tags: { path: tags, type: json }
  first_tag: { path: "tags[0]", type: text }`;
// The tables loaded under map A, then rematerialized to B; and the fresh loads under B to compare with.
const columnMap = join(dir, 'columns.yaml');
writeFileSync(
  columnMap,
  `table_remat:${mapA}\ntable_resume:${mapA}\ntable_fresh:${mapB}\ntable_race:${mapB}\ntable_codec_remat:${mapA}\ntable_codec_fresh:${mapB}\n`,
);
const specsB: readonly ColumnSpec[] = (() => {
  const parsed = parseColumnMap(`t:${mapB}`, 'map B');
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.map.get('t')!;
})();
const columnNames = specsB.map((c) => c.name);

/** A KEYS_ONLY DynamoDB Streams change of `id`, newer (1 s) than the inserts: it keeps the stored item. */
const keysOnly = (table: string, id: string) => ({
  eventID: `keys-only-${id}`,
  eventName: 'MODIFY',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  eventSourceARN: `arn:aws:dynamodb:us-east-1:111122223333:table/${table}/stream/2024-01-01T00:00:00.000`,
  dynamodb: { ApproximateCreationDateTime: 1, Keys: { id: { S: id } }, SequenceNumber: '100', StreamViewType: 'KEYS_ONLY' },
});

/** The same history for any source table: inserts, a modify, a delete, a keys-only change, values that do not convert. */
function history(table: string): unknown[][] {
  const record = (id: string, micros: number, attributes: Record<string, unknown>, eventName?: 'INSERT' | 'MODIFY' | 'REMOVE') =>
    kinesisRecord({ table, id, micros, attributes, eventName });
  const many = Array.from({ length: 12 }, (_, i) =>
    record(`r${String(i).padStart(2, '0')}`, 1_000 + i, {
      device: { S: `device ${i}` },
      seen: { N: String(1_720_747_062_000 + i) },
      reading: { M: { level: { N: String(i) }, calibrated: { N: `${i}.5` } } },
      tags: { L: [{ S: `tag${i}` }, { N: String(i) }] },
    }),
  );
  return [
    [
      record('alpha', 1_000, {
        device: { S: 'alpha' },
        seen: { N: '1720747062123' },
        reading: { M: { level: { N: '1.5' }, calibrated: { N: '1.25' } } },
        tags: { L: [{ S: 'x' }, { S: 'y' }] },
      }),
      // Not a number: NULL under B, counted.
      record('beta', 1_000, { device: { S: 'beta' }, seen: { S: '1720747062000' }, reading: { M: { level: { N: '2' }, calibrated: { S: 'n/a' } } } }),
      record('gone', 1_000, { device: { S: 'gone' }, tags: { L: [{ S: 'z' }] } }),
      record('delta', 1_000, { device: { S: 'delta v1' }, reading: { M: { calibrated: { N: '4' } } } }),
      record('empty', 1_000, {}),
      ...many,
    ],
    [
      record('gone', 2_000, {}, 'REMOVE'),
      record('delta', 3_000, { device: { S: 'delta v2' }, reading: { M: { calibrated: { N: '4.75' } } }, tags: { L: [{ S: 'new' }] } }, 'MODIFY'),
      keysOnly(table, 'alpha'),
    ],
  ];
}

async function load(h: Harness, table: string): Promise<void> {
  for (const delivery of history(table)) {
    const response = await h.app.request(recordsRequest(delivery));
    expect(response.status, await response.clone().text()).toBe(200);
  }
}

/** A read value as comparable JSON: CrateDB's numbers arrive lossless, objects as objects. */
const comparable = (value: unknown): unknown =>
  isLosslessNumber(value) ? Number(value.value) : value !== null && typeof value === 'object' ? JSON.stringify(value) : value;

/** Every row of a state table, as comparable as two tables of the same database make it. */
async function stored(h: Harness, table: string): Promise<Record<string, unknown>[]> {
  const rows = await h.rows(table);
  const typed = await h.query<Record<string, unknown>>(`SELECT pk, ${columnNames.join(', ')} FROM ${table}`);
  const byPk = new Map(typed.map((r) => [String(r.pk), r]));
  return rows.map((r) => {
    const columns = byPk.get(r.pk)!;
    return {
      pk: r.pk,
      item: r.item,
      deleted: r.deleted,
      version: r.version,
      seq: r.seq,
      event_id: r.event_id,
      keys_only: r.keys_only,
      ...Object.fromEntries(columnNames.map((c) => [c, comparable(columns[c])])),
    };
  });
}

const options = (h: Harness, table: string, more: Partial<RematerializeOptions> = {}): RematerializeOptions => ({
  sink: h.sink,
  table,
  columns: specsB,
  batchSize: 5,
  statePath: join(dir, `${h.target}-${table}.json`),
  ...more,
});

describeTargets('rematerialize in', sinkTargets, { COLUMN_MAP: columnMap }, (h) => {
  it('after a map change, gives the rows a fresh load under the new map gives', async () => {
    await load(h, 'table-remat');
    await load(h, 'table-fresh');
    const fresh = await stored(h, 'table_fresh');
    expect(
      fresh.find((r) => r.pk === '{"id":"alpha"}'),
      'the fresh load holds the new columns',
    ).toMatchObject({ level: 1.25, first_tag: 'x', keys_only: true });
    const level = async () => (await h.query<{ level: unknown }>(`SELECT level FROM table_remat WHERE ident = 'alpha'`)).map((r) => comparable(r.level));
    expect(await level(), 'before: the old map').toEqual([1.5]);

    const result = await runRematerialize(options(h, 'table_remat'));
    expect(result).toMatchObject({ ok: true, summary: { complete: true, read: 17, written: 17, changed: 0, leftToStream: 0, pages: 4 } });
    // beta's calibrated reading "n/a", the one value of the final rows that does not convert.
    expect(result.summary?.unconverted).toBe(1);
    expect(await stored(h, 'table_remat')).toEqual(fresh);
    // Run again from scratch: the same rows.
    expect(await runRematerialize(options(h, 'table_remat', { restart: true }))).toMatchObject({ ok: true, summary: { read: 17, written: 17 } });
    expect(await stored(h, 'table_remat')).toEqual(fresh);
  });

  it('stops after the page in flight, saves the cursor, and resumes to the same rows', async () => {
    await load(h, 'table-resume');
    const stop = new AbortController();
    const path = join(dir, `${h.target}-resume.json`);
    const interrupted = await runRematerialize(
      options(h, 'table_resume', { statePath: path, signal: stop.signal, onProgress: (p) => p.read >= 10 && stop.abort() }),
    );
    expect(interrupted).toMatchObject({ ok: true, summary: { complete: false, read: 10, written: 10, resumed: false } });
    const saved = JSON.parse(readFileSync(path, 'utf8')) as RewriteState;
    expect(saved).toMatchObject({ table: 'table_resume', done: false, read: 10, written: 10, cursor: expect.any(String) });

    const resumed = await runRematerialize(options(h, 'table_resume', { statePath: path }));
    expect(resumed).toMatchObject({ ok: true, summary: { complete: true, resumed: true, readNow: 7, read: 17, written: 17 } });
    expect(await stored(h, 'table_resume')).toEqual(await stored(h, 'table_fresh'));
    // A complete run resumed does nothing; a changed map needs --restart.
    expect(await runRematerialize(options(h, 'table_resume', { statePath: path }))).toMatchObject({ ok: true, summary: { readNow: 0, complete: true } });
    expect(await runRematerialize(options(h, 'table_resume', { statePath: path, columns: specsB.slice(1) }))).toMatchObject({
      ok: false,
      error: { code: 'STATE_MISMATCH' },
    });
  });

  it('a row the stream changes between read and write keeps what the stream wrote', async () => {
    const change = (micros: number, calibrated: string, tag: string) =>
      kinesisRecord({
        table: 'table-race',
        id: 'raced',
        micros,
        attributes: { device: { S: `at ${micros}` }, reading: { M: { calibrated: { N: calibrated } } }, tags: { L: [{ S: tag }] } },
      });
    expect((await h.app.request(recordsRequest([change(1_000, '1', 'before')]))).status).toBe(200);
    const before = await h.row('table_race', { id: 'raced' });
    // Between the page's read and its write, the stream writes a newer change (under map B, as
    // the service runs once the map changed): the write of the page must not overwrite it.
    let injected = false;
    const racing: RematerializeOptions['sink'] = {
      kind: h.sink.kind,
      async rewriteColumns(table, columns) {
        const real = (await h.sink.rewriteColumns!(table, columns))!;
        const rewrite: ColumnRewrite = {
          estimatedRows: real.estimatedRows,
          page: (after, limit) => real.page(after, limit),
          reread: (pks) => real.reread(pks),
          async write(rows) {
            if (!injected) {
              injected = true;
              expect((await h.app.request(recordsRequest([change(2_000, '2.5', 'stream')]))).status).toBe(200);
              // What this page computed from the item it read: stale now.
              expect(rows.map((r) => r.columns.values[5])).toEqual(['before']);
              const stale = await real.write(rows);
              expect(stale.written, 'the stale write is refused').toEqual([false]);
            }
            return real.write(rows);
          },
        };
        return rewrite;
      },
    };
    const result = await runRematerialize(options(h, 'table_race', { sink: racing }));
    expect(result).toMatchObject({ ok: true, summary: { read: 1, written: 1, changed: 1, leftToStream: 0 } });
    const [row] = await stored(h, 'table_race');
    expect(row!.item).not.toBe(before!.item);
    expect(row).toMatchObject({ device: 'at 2000', level: 2.5, first_tag: 'stream', version: '2000' });
    // The columns are those of the stream's item, as translate computes them.
    const expected = typedColumns(specsB, row!.item as string).values;
    expect([row!.ident, row!.device, row!.first_tag]).toEqual([expected[0], expected[1], expected[5]]);
  });

  it('says so when the table does not exist, or the map names no columns for it', async () => {
    expect(await runRematerialize(options(h, 'table_nowhere'))).toMatchObject({ ok: false, error: { code: 'NO_TABLE' } });
    expect(await runRematerialize(options(h, 'table_remat', { columns: [] }))).toMatchObject({ ok: false, error: { code: 'NO_COLUMNS' } });
  });
});

// `npm run rematerialize` as a user runs it, on the embedded database on disk.

describeTargets('rematerialize under LAYOUT=commons-codec in', crateDbTargets, { COLUMN_MAP: columnMap, LAYOUT: 'commons-codec' }, (h) => {
  /** The user table as its readers see it, typed columns included. */
  const userRows = async (table: string) =>
    (await h.query<Record<string, unknown>>(`SELECT pk, data, aux, version, seq, event_id, ${columnNames.join(', ')} FROM ${table}`))
      .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, comparable(v)])))
      .sort((a, b) => String(a.pk).localeCompare(String(b.pk)));

  it('rewrites the columns of the state table and of the user table to what a fresh load under the new map gives', async () => {
    await load(h, 'table-codec-remat');
    await load(h, 'table-codec-fresh');
    const fresh = await userRows('table_codec_fresh');
    expect(fresh.find((r) => r.pk === '{"id":"alpha"}')).toMatchObject({ level: 1.25, first_tag: 'x' });
    expect(fresh).toHaveLength(16);
    const level = async () => (await h.query<{ level: unknown }>(`SELECT level FROM table_codec_remat WHERE ident = 'alpha'`)).map((r) => comparable(r.level));
    expect(await level(), 'before: the old map').toEqual([1.5]);

    const result = await runRematerialize(options(h, 'table_codec_remat'));
    expect(result).toMatchObject({ ok: true, summary: { complete: true, read: 17, written: 17, changed: 0, leftToStream: 0 } });
    expect(await userRows('table_codec_remat')).toEqual(fresh);
    expect(await stored(h, 'table_codec_remat__cdc_state')).toEqual(await stored(h, 'table_codec_fresh__cdc_state'));
  });
});

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function rematerializeCommand(args: string[], env: Record<string, string>): Promise<Finished> {
  const child = spawn(process.execPath, [compiledEntry('src/rematerialize-main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, SINK_URL: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run rematerialize', () => {
  const dataDir = join(dir, 'pglite');
  const statePath = join(dir, 'cli-state.json');
  const mapFile = join(dir, 'cli-columns.yaml');
  writeFileSync(mapFile, `table_remat:${mapB}\ntable_fresh:${mapB}\n`);

  it('refuses bad arguments with every problem and the usage', async () => {
    const result = await rematerializeCommand(['--batch-size', 'many'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: --table: required');
    expect(result.stderr).toContain('error: --batch-size: expected an integer');
    expect(result.stderr).toContain('usage: npm run rematerialize -- --table <name>');
    const unmapped = await rematerializeCommand(['--table', 'table_other'], { PGLITE_DIR: 'memory://', COLUMN_MAP: mapFile });
    expect(unmapped.code).toBe(2);
    expect(unmapped.stderr).toContain('error: COLUMN_MAP maps no columns for table table_other (it maps table_remat, table_fresh)');
  });

  // Three processes open the database on disk one after the other: a few seconds each, more on a busy machine.
  it('recomputes the columns of a table on disk, with progress and a cursor file', { timeout: 180_000 }, async () => {
    const before = await createHarness('pglite', { PGLITE_DIR: dataDir, COLUMN_MAP: columnMap });
    try {
      await load(before, 'table-remat');
    } finally {
      await before.close();
    }
    const args = ['--table', 'table_remat', '--batch-size', '4', '--state', statePath];
    const result = await rematerializeCommand(args, { PGLITE_DIR: dataDir, COLUMN_MAP: mapFile });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('rematerialize of table_remat complete');
    expect(result.stdout).toContain('rows read: 17 now, 17 in this run');
    expect(result.stdout).toContain('values that did not convert: 1');
    expect(result.stderr).toMatch(/\[#{24}\] 17 \/ ~17 rows {2}[\d,]+ rows\/s {2}done/);
    expect(JSON.parse(readFileSync(statePath, 'utf8'))).toMatchObject({ table: 'table_remat', done: true, read: 17, written: 17, cursor: null });

    const after = await createHarness('pglite', { PGLITE_DIR: dataDir, COLUMN_MAP: mapFile });
    try {
      await load(after, 'table-fresh');
      expect(await stored(after, 'table_remat')).toEqual(await stored(after, 'table_fresh'));
    } finally {
      await after.close();
    }
  });
});
