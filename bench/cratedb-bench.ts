import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { parseCrateDbUrl } from '../src/sink/cratedb/cratedb-url.js';
import { parseItem, projectItem, type ColumnTypes } from '../src/sink/cratedb/project-item.js';
import * as sql from '../src/sink/cratedb/statements.js';
import { paddedSeq } from '../src/sink/cratedb/version-gate.js';
import { decodeFirehoseBody } from '../src/decode/firehose-body.js';
import { changeBounds } from '../src/decode/change-bounds.js';
import { unclaimedTargets } from '../src/translate/target-name.js';
import { translate } from '../src/translate/translate.js';
import type { WriteBatch } from '../src/translate/write-batch.js';
import { deliveryOf, type ItemShape } from './generate.js';
import { postAllTimed, runConcurrently, startService } from './service-process.js';

export interface CrateDbFigures {
  readonly shape: ItemShape;
  readonly records: number;
  readonly deliveries: number;
  readonly servicePerSecond: number;
  readonly redeliveryPerSecond: number;
  /** A later MODIFY of every item, after the redelivery: every row stored, every one newer. */
  readonly modifyPerSecond: number;
  readonly requestsPerModifyDelivery: number;
  readonly crateMsPerModifyDelivery: Record<string, number>;
  /** The same final rows, one `bulk_args` INSERT per delivery from this process. */
  readonly floorPerSecond: number;
  readonly ratio: number;
  /** `/_sql` requests the service sent per delivery, first pass and redelivery. */
  readonly requestsPerDelivery: number;
  readonly requestsPerRedelivery: number;
  /** Milliseconds CrateDB reported (`duration`) per delivery, by kind of statement. */
  readonly crateMsPerDelivery: Record<string, number>;
  readonly serviceCores: number;
  /** Records of the first pass per second of the service's CPU (from /proc). */
  readonly perServiceCpuSecond: number;
}

const CONCURRENCY = 2;

/**
 * (b) into CrateDB: Firehose deliveries over HTTP into the service, through a counting proxy in
 * front of CrateDB, against the floor: the same final rows (projected as the sink projects them)
 * sent by this process as one `bulk_args` INSERT per delivery, with no HTTP in front, no decode,
 * no translate, no pre-read.
 */
export async function benchCrateDb(url: string, shape: ItemShape, deliveries: number, recordsPerDelivery: number): Promise<CrateDbFigures> {
  const target = parseCrateDbUrl(url);
  const pool = new Pool(target.origin, { connections: CONCURRENCY + 1 });
  const auth = `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
  const run = async (stmt: string, body?: string): Promise<{ duration?: number }> => {
    const response = await pool.request({
      method: 'POST',
      path: '/_sql',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: body ?? JSON.stringify({ stmt }),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`CrateDB ${response.statusCode}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as { duration?: number };
  };
  const dropSchema = async (schema: string) => {
    const answer = (await run('', JSON.stringify({ stmt: 'SELECT table_name FROM information_schema.tables WHERE table_schema = ?', args: [schema] }))) as {
      rows?: [string][];
    };
    for (const [table] of answer.rows ?? []) await run(`DROP TABLE IF EXISTS "${schema}"."${table}"`);
  };

  const plan = Array.from({ length: deliveries + 1 }, (_, i) => deliveryOf(shape, i * recordsPerDelivery, Infinity, recordsPerDelivery));
  const [warm, ...timed] = plan;
  const records = timed.reduce((n, d) => n + d.records, 0);
  const modifies = timed.map((_, i) => deliveryOf(shape, (i + 1) * recordsPerDelivery, Infinity, recordsPerDelivery, 200, true));
  const proxy = await countingProxy(target.origin);

  const serviceSchema = `bench_${randomBytes(4).toString('hex')}`;
  const service = await startService({
    SINK_URL: `${proxy.url}/?schema=${serviceSchema}`.replace(
      'http://',
      `http://${encodeURIComponent(target.username)}:${encodeURIComponent(target.password)}@`,
    ),
  });
  let servicePerSecond: number;
  let redeliveryPerSecond: number;
  let serviceCores: number;
  let perServiceCpuSecond: number;
  let requestsPerDelivery: number;
  let requestsPerRedelivery: number;
  let crateMsPerDelivery: Record<string, number>;
  let modifyPerSecond: number;
  let requestsPerModifyDelivery: number;
  let crateMsPerModifyDelivery: Record<string, number>;
  try {
    await service.post(warm!.body, warm!.requestId, false); // creates the table
    proxy.reset();
    const first = await postAllTimed(service, timed, CONCURRENCY);
    servicePerSecond = records / first.seconds;
    serviceCores = first.cores;
    perServiceCpuSecond = records / first.cpuSeconds;
    requestsPerDelivery = proxy.requests / timed.length;
    crateMsPerDelivery = Object.fromEntries(Object.entries(proxy.durations).map(([kind, ms]) => [kind, ms / timed.length]));
    proxy.reset();
    redeliveryPerSecond = records / (await postAllTimed(service, timed, CONCURRENCY)).seconds;
    requestsPerRedelivery = proxy.requests / timed.length;
    proxy.reset();
    modifyPerSecond = records / (await postAllTimed(service, modifies, CONCURRENCY)).seconds;
    requestsPerModifyDelivery = proxy.requests / modifies.length;
    crateMsPerModifyDelivery = Object.fromEntries(Object.entries(proxy.durations).map(([kind, ms]) => [kind, ms / modifies.length]));
  } finally {
    await service.stop();
    await proxy.close();
    await dropSchema(serviceSchema);
  }

  const floorSchema = `bench_${randomBytes(4).toString('hex')}`;
  let floorPerSecond: number;
  try {
    const settings = { shards: null, replicas: null };
    const table = batchOf(warm!).tables[0]!.table;
    await run(sql.createStateTable(floorSchema, table, settings));
    const insert = `INSERT INTO ${`"${floorSchema}"."${table}"`} (${sql.upsertColumns.map((c) => `"${c}"`).join(', ')}) VALUES (${sql.upsertColumns.map(() => '?').join(', ')})`;
    const columns: ColumnTypes = new Map();
    const bodies = timed.map((d) => `{"stmt":${JSON.stringify(insert)},"bulk_args":[${finalRows(batchOf(d), columns).join(',')}]}`);
    await run('', `{"stmt":${JSON.stringify(insert)},"bulk_args":[${finalRows(batchOf(warm!), columns).join(',')}]}`);
    const started = performance.now();
    await runConcurrently(
      bodies.map((body) => () => run(insert, body)),
      CONCURRENCY,
    );
    floorPerSecond = records / ((performance.now() - started) / 1000);
  } finally {
    await dropSchema(floorSchema);
    await pool.close();
  }
  return {
    shape,
    records,
    deliveries: timed.length,
    servicePerSecond,
    redeliveryPerSecond,
    modifyPerSecond,
    requestsPerModifyDelivery,
    crateMsPerModifyDelivery,
    floorPerSecond,
    ratio: servicePerSecond / floorPerSecond,
    requestsPerDelivery,
    requestsPerRedelivery,
    crateMsPerDelivery,
    serviceCores,
    perServiceCpuSecond,
  };
}

function batchOf(delivery: { body: Buffer }): WriteBatch {
  const parsed = decodeFirehoseBody(delivery.body, changeBounds(Date.now(), 24 * 3600));
  if (!parsed.ok) throw new Error(parsed.error);
  return translate(parsed.body.decoded, { requestId: parsed.body.requestId, source: 'bench', changeLog: false, targetOf: unclaimedTargets(new Map()) }).batch;
}

/** The rows as the sink writes them (`sql.upsertColumns` order), projected as it projects them. */
function finalRows(batch: WriteBatch, columns: ColumnTypes): string[] {
  return batch.tables[0]!.rows.map((row) => {
    const projection = projectItem(parseItem(row.data), columns, 1000);
    const aux = JSON.stringify(projection.diversions);
    return `[${JSON.stringify(row.pk)},${projection.dataJson},${aux},${JSON.stringify(row.data)},${row.deleted},${row.version},${JSON.stringify(paddedSeq(row.sequence))},${JSON.stringify(row.eventId)},${JSON.stringify(row.eventName)},${row.ttl},${row.keysOnly},${JSON.stringify(row.sourceTable)},${Math.floor(row.version / 1000)},${Date.now()}]`;
  });
}

/** An HTTP proxy in front of CrateDB that counts `/_sql` requests and sums CrateDB's `duration` by statement kind. */
export async function countingProxy(origin: string) {
  const upstream = new Pool(origin, { connections: 8 });
  const state = { requests: 0, durations: {} as Record<string, number> };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      state.requests++;
      const answer = await upstream.request({
        method: 'POST',
        path: req.url ?? '/_sql',
        headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
        body,
      });
      const text = await answer.body.text();
      const kind = kindOf(body.toString('utf8', 0, 200));
      const duration = /"duration":([\d.]+)/.exec(text.slice(0, 120))?.[1] ?? /"duration":([\d.]+)/.exec(text.slice(-200))?.[1];
      if (duration) state.durations[kind] = (state.durations[kind] ?? 0) + Number(duration);
      res.writeHead(answer.statusCode, { 'content-type': 'application/json' }).end(text);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    get durations() {
      return state.durations;
    },
    reset() {
      state.requests = 0;
      state.durations = {};
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
    },
  };
}

function kindOf(head: string): string {
  if (/^\{"stmt":"SELECT \\"pk\\", \\"version\\"/.test(head)) return 'pre-read';
  if (/^\{"stmt":"INSERT INTO/.test(head)) return 'upsert';
  if (/^\{"stmt":"UPDATE/.test(head)) return 'update';
  if (head.includes('information_schema')) return 'column types';
  return 'other';
}
