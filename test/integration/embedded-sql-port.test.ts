import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pgliteExecutor } from '../../src/sink/pglite/pglite-executor.js';
import type { WireServer } from '../../src/sink/pglite/wire-server.js';
import { PostgresSink } from '../../src/sink/postgres/postgres-sink.js';
import type { SqlExecutor } from '../../src/sink/postgres/sql-executor.js';
import { appWith } from '../support/app-with.js';
import { firehoseBody, firehoseRequest } from '../support/firehose.js';
import { initializedDataDir } from '../support/initialized-data-dir.js';
import { kinesisRecord } from '../support/records.js';
import { killServices, root, startService, stopService } from '../support/service-process.js';

// EMBEDDED_SQL_PORT: the embedded database read with an ordinary PostgreSQL client while the
// service writes to it, over PGlite's single session.

const client = async (port: number) => {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  c.on('error', () => undefined); // a connection cut off on purpose; queries still reject
  await c.connect();
  return c;
};

describe('EMBEDDED_SQL_PORT: the service process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdc-sql-port-'));
  const dataDir = initializedDataDir(join(dir, 'pglite'));
  afterAll(() => {
    killServices();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the rows written through /firehose to the pg client, and stops cleanly with a client connected', async () => {
    const running = await startService({ ACCESS_KEY: 'dev-secret', PGLITE_DIR: dataDir, EMBEDDED_SQL_PORT: '0' });
    try {
      const line = running.logs
        .join('')
        .split('\n')
        .find((l) => l.includes('PostgreSQL wire protocol'));
      expect(line, running.logs.join('')).toBeDefined();
      const sqlPort = Number(JSON.parse(line!).port);
      expect(JSON.parse(line!).host).toBe('127.0.0.1'); // loopback unless EMBEDDED_SQL_HOST says otherwise
      const example = readFileSync(join(root, 'examples/seed-delivery.json'), 'utf8');
      const response = await fetch(`${running.url}/firehose`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-amz-firehose-access-key': 'dev-secret', 'x-amz-firehose-request-id': JSON.parse(example).requestId },
        body: example,
      });
      expect(response.status).toBe(200);
      const c = await client(sqlPort);
      c.on('error', () => undefined); // the service stops under it
      // README's "Try it" query.
      const { rows } = await c.query('SELECT pk, data, deleted FROM table_testdrive ORDER BY pk');
      expect(rows.map((r) => [JSON.parse(r.pk).device, r.deleted])).toEqual([
        ['foo', true],
        ['qux', false],
      ]);
      expect(rows[1].data).toMatchObject({ device: 'qux' });
      expect(await stopService(running)).toBe(0);
      await c.end().catch(() => undefined);
    } finally {
      running.child.kill('SIGKILL');
    }
  }, 120_000);

  it('a taken EMBEDDED_SQL_PORT: one line naming it, exit 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      // On a folder already initialized: an in-memory database would run initdb in the child first.
      const folder = initializedDataDir(join(dir, 'taken'));
      const failed = await startService({ ACCESS_KEY: 'dev-secret', PGLITE_DIR: folder, EMBEDDED_SQL_PORT: String(port) }).then(
        () => null,
        (error: Error) => error.message,
      );
      expect(failed).toContain('exited with 1');
      expect(failed).toContain(`EMBEDDED_SQL_PORT ${port}: 127.0.0.1:${port} is already in use`);
      expect(failed).not.toMatch(/Unhandled 'error' event|at .*\.js:\d+/);
    } finally {
      taken.close();
    }
  }, 120_000);
});

describe('EMBEDDED_SQL_PORT: sharing the one session with the sink', () => {
  let executor: SqlExecutor;
  let server: WireServer;
  let app: ReturnType<typeof appWith>['app'];
  let micros = 1_720_740_233_000_000;

  beforeEach(async () => {
    executor = await pgliteExecutor('memory://', { serveSql: { port: 0, host: '127.0.0.1', idleHoldMs: 3000, onListening: (s) => (server = s) } });
    const sink = new PostgresSink(executor, {
      kind: 'pglite',
      schema: 'public',
      deadLetterTable: 'cdc_dead_letters',
      changeLog: false,
      maxRowsPerStatement: 10_000,
      maxBytesPerStatement: 4 << 20,
    });
    app = appWith(sink).app;
  });
  afterEach(async () => {
    await executor.close();
  });

  const deliver = async (ids: string[]) =>
    app.request(firehoseRequest(firehoseBody(ids.map((id) => kinesisRecord({ table: 'items', id, micros: ++micros, attributes: { n: { N: '1' } } })))));

  it('reads during writes: every delivery 200, every read sees whole deliveries only, and the last read sees them all', async () => {
    expect((await deliver(['seed'])).status).toBe(200);
    const readers = await Promise.all([client(server.port), client(server.port)]);
    let writing = true;
    const seen: number[][] = [[], []];
    const reads = readers.map(async (c, i) => {
      while (writing) {
        // A transaction of two statements: the sink's writes never land in between.
        await c.query('BEGIN');
        const first = Number((await c.query('SELECT count(*) AS n FROM items')).rows[0].n);
        const again = Number((await c.query('SELECT count(*) AS n FROM items')).rows[0].n);
        await c.query('COMMIT');
        expect(again).toBe(first);
        expect((first - 1) % 10).toBe(0);
        seen[i]!.push(first);
      }
    });
    for (let d = 0; d < 30; d++) {
      const response = await deliver(Array.from({ length: 10 }, (_, k) => `d${d}-${k}`));
      expect(response.status).toBe(200);
    }
    writing = false;
    await Promise.all(reads);
    for (const counts of seen) {
      expect(counts.length).toBeGreaterThan(0);
      expect([...counts].sort((a, b) => a - b)).toEqual(counts); // never goes back
    }
    expect(Number((await readers[0]!.query('SELECT count(*) AS n FROM items')).rows[0].n)).toBe(301);
    await Promise.all(readers.map((c) => c.end()));
  }, 60_000);

  it("a client's open transaction makes a write wait, and its ROLLBACK never undoes the write", async () => {
    expect((await deliver(['seed'])).status).toBe(200);
    const c = await client(server.port);
    await c.query('BEGIN');
    await c.query('SELECT count(*) FROM items');
    let answered = false;
    const write = deliver(['during']).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    await c.query('ROLLBACK');
    expect((await write).status).toBe(200);
    const { rows } = await c.query(`SELECT pk FROM items WHERE pk = '{"id":"during"}'`);
    expect(rows).toHaveLength(1);
    await c.end();
  }, 30_000);

  /** A startup message (protocol 3.0, user postgres). */
  const startupMessage = () => {
    const params = Buffer.from('user\0postgres\0\0');
    const startup = Buffer.alloc(8 + params.length);
    startup.writeInt32BE(startup.length, 0);
    startup.writeInt32BE(196_608, 4);
    params.copy(startup, 8);
    return startup;
  };

  it('a client that opens a transaction and then neither speaks nor closes is closed, freeing the database', async () => {
    expect((await deliver(['seed'])).status).toBe(200);
    // allowHalfOpen: it does not close its side when the server closes its own.
    const silent = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
    silent.on('error', () => undefined);
    let answer = '';
    silent.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
    const begin = Buffer.from('QxxxxBEGIN\0');
    begin.writeInt32BE(begin.length - 1, 1);
    silent.write(Buffer.concat([startupMessage(), begin]));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Written once the server gave up on the silent client (after idleHoldMs), never hanging.
    expect((await deliver(['after-silent'])).status).toBe(200);
    expect(answer).toContain('the embedded database was held idle for 3000 ms');
    silent.destroy();
  }, 30_000);

  it('a client gone while waiting for the database leaves it free', async () => {
    expect((await deliver(['seed'])).status).toBe(200);
    const holder = await client(server.port);
    await holder.query('BEGIN');
    const startup = startupMessage();
    const waiting = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => waiting.once('connect', () => resolve()));
    waiting.write(startup);
    await new Promise((resolve) => setTimeout(resolve, 100));
    waiting.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await holder.query('COMMIT');
    expect((await deliver(['after'])).status).toBe(200);
    await holder.end();
  }, 30_000);

  it('a client holding the database idle is cut off; one that leaves mid-transaction is rolled back and its settings dropped', async () => {
    expect((await deliver(['seed'])).status).toBe(200);
    const idle = await client(server.port);
    idle.on('error', () => undefined);
    await idle.query('BEGIN');
    await idle.query('SET search_path TO nowhere');
    const started = Date.now();
    expect((await deliver(['after-idle'])).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await expect(idle.query('SELECT 1')).rejects.toThrow();

    const before = await client(server.port);
    const searchPath = (await before.query('SHOW search_path')).rows[0].search_path;
    await before.end();
    const leaving = await client(server.port);
    await leaving.query('SET search_path TO nowhere');
    await leaving.query('PREPARE mine AS SELECT 1');
    await leaving.query('BEGIN');
    await leaving.query('CREATE TABLE public.scratch (x int)');
    await leaving.end();
    expect((await deliver(['after-leaving'])).status).toBe(200);
    const c = await client(server.port);
    expect((await c.query('SHOW search_path')).rows[0].search_path).toBe(searchPath);
    expect((await c.query("SELECT to_regclass('public.scratch') AS t")).rows[0].t).toBeNull();
    expect((await c.query('SELECT count(*) AS n FROM pg_prepared_statements')).rows[0].n).toBe('0');
    expect((await c.query(`SELECT count(*) AS n FROM items`)).rows[0].n).toBe('3');
    await c.end();
  }, 30_000);
});
