import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ACCESS_KEY, firehoseBody } from '../support/firehose.js';
import { kinesisRecord } from '../support/records.js';
import { killServices, startService, stopService, type Running } from '../support/service-process.js';
import { postgresUrl } from '../support/sinks.js';

// The fault suite: the service as its own process, a Firehose-like client that retries every
// failed delivery (as Firehose does, with backoff) and faults injected on purpose. Each case
// ends with the table compared to what the deliveries say it must hold. Bounded in time.

interface Planned {
  readonly requestId: string;
  readonly body: string;
}

/** `keys` items, each changed `versions` times (the last change of every third is a REMOVE), shuffled into deliveries. */
function plan(table: string, keys: number, versions: number, perDelivery: number) {
  const records: Record<string, unknown>[] = [];
  const expected = new Map<string, { version: number; deleted: boolean }>();
  for (let k = 0; k < keys; k++) {
    for (let v = 1; v <= versions; v++) {
      const remove = v === versions && k % 3 === 0;
      const micros = 1_720_000_000_000_000 + v * 1_000 + k;
      records.push(
        kinesisRecord({ table, id: `k${k}`, micros, eventName: remove ? 'REMOVE' : v === 1 ? 'INSERT' : 'MODIFY', attributes: { v: { N: String(v) } } }),
      );
      expected.set(JSON.stringify({ id: `k${k}` }), { version: micros, deleted: remove });
    }
  }
  // A fixed shuffle: later versions often arrive first.
  let seed = 7;
  for (let i = records.length - 1; i > 0; i--) {
    seed = (seed * 48271) % 2147483647;
    const j = seed % (i + 1);
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  const deliveries: Planned[] = [];
  for (let i = 0; i < records.length; i += perDelivery) {
    const body = firehoseBody(records.slice(i, i + perDelivery));
    deliveries.push({ requestId: body.requestId, body: JSON.stringify(body) });
  }
  return { deliveries, expected };
}

/** Like Firehose: every answer but 200 (and every connection error) is retried with backoff, until the deadline. */
async function deliverUntilAcknowledged(target: { url: string }, delivery: Planned, deadline: number): Promise<number> {
  let attempts = 0;
  let pause = 50;
  for (;;) {
    attempts++;
    try {
      const response = await fetch(`${target.url}/firehose`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-amz-firehose-request-id': delivery.requestId, 'x-amz-firehose-access-key': ACCESS_KEY },
        body: delivery.body,
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (response.status === 200) return attempts;
    } catch {
      // refused, reset or timed out: the service is down or restarting
    }
    if (Date.now() > deadline) throw new Error(`delivery ${delivery.requestId} not acknowledged after ${attempts} attempts`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 800);
  }
}

async function deliverAll(
  target: { url: string },
  deliveries: readonly Planned[],
  concurrency: number,
  deadline: number,
  acknowledged?: (count: number) => void,
): Promise<number[]> {
  const attempts: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++]!;
        attempts.push(await deliverUntilAcknowledged(target, delivery, deadline));
        acknowledged?.(attempts.length);
      }
    }),
  );
  return attempts;
}

describe.skipIf(!postgresUrl)(`faults, against the postgres server${postgresUrl ? '' : ' (skipped: TEST_POSTGRES_URL is not set)'}`, () => {
  const admin = new pg.Client({ connectionString: postgresUrl });
  const schemas: string[] = [];
  let connected = false;
  const newSchema = async () => {
    if (!connected) {
      await admin.connect();
      connected = true;
    }
    const schema = `fault_${randomBytes(5).toString('hex')}`;
    schemas.push(schema);
    return schema;
  };
  const stateOf = async (schema: string, table: string) => {
    const { rows } = await admin.query<{ pk: string; version: string; deleted: boolean }>(
      `SELECT pk, version::text AS version, deleted FROM "${schema}"."${table}"`,
    );
    return new Map(rows.map((r) => [r.pk, { version: Number(r.version), deleted: r.deleted }]));
  };
  afterEach(() => killServices());
  afterAll(async () => {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    if (connected) await admin.end();
  });

  it('its connections to the database killed again and again during a load: every delivery acknowledged, the table converges', async () => {
    const schema = await newSchema();
    const app = `cdc-fault-${schema}`;
    const url = new URL(postgresUrl!);
    url.searchParams.set('application_name', app);
    const service = await startService({ ACCESS_KEY, SINK_URL: url.toString(), TARGET_SCHEMA: schema, SINK_CONNECT_TIMEOUT_MS: '2000' });
    const { deliveries, expected } = plan('fault-kill', 600, 4, 20);
    let killed = 0;
    let loading = true;
    let attempts: number[] = [];
    const killer = (async () => {
      while (loading) {
        await new Promise((r) => setTimeout(r, 25));
        const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
        killed += rowCount ?? 0;
      }
    })();
    try {
      attempts = await deliverAll(service, deliveries, 3, Date.now() + 60_000);
      expect(attempts).toHaveLength(deliveries.length);
    } finally {
      loading = false;
      await killer;
    }
    expect(killed, 'connections were killed during the load').toBeGreaterThan(0);
    expect(
      attempts.some((a) => a > 1),
      'some deliveries failed and were retried',
    ).toBe(true);
    expect(await stateOf(schema, 'fault_kill')).toEqual(expected);
    expect(await stopService(service)).toBe(0);
  });

  it('SIGKILLed in the middle of deliveries and started again while the client retries: nothing lost', async () => {
    const schema = await newSchema();
    const env = { ACCESS_KEY, SINK_URL: postgresUrl!, TARGET_SCHEMA: schema };
    const target: { url: string; running: Running } = { url: '', running: await startService(env) };
    target.url = target.running.url;
    const { deliveries, expected } = plan('fault-crash', 600, 3, 10);
    // Crash after 20, 60 and 100 acknowledged deliveries, while others are in flight.
    let acknowledged = 0;
    const reached = async (count: number) => {
      while (acknowledged < count) await new Promise((r) => setTimeout(r, 5));
    };
    const crashes = (async () => {
      for (const at of [20, 60, 100]) {
        await reached(at);
        target.running.child.kill('SIGKILL');
        await target.running.exited;
        target.url = 'http://127.0.0.1:1'; // down while it restarts: the client's attempts fail
        target.running = await startService(env);
        target.url = target.running.url;
      }
    })();
    const attempts = await deliverAll(target, deliveries, 3, Date.now() + 90_000, (n) => (acknowledged = n));
    await crashes;
    expect(
      attempts.some((a) => a > 1),
      'some deliveries had to be retried',
    ).toBe(true);
    expect(await stateOf(schema, 'fault_crash')).toEqual(expected);
    expect(await stopService(target.running)).toBe(0);
  });

  it('a database too slow to answer: the delivery deadline answers 503 instead of hanging, and the retry succeeds', async () => {
    const schema = await newSchema();
    const service = await startService({ ACCESS_KEY, SINK_URL: postgresUrl!, TARGET_SCHEMA: schema, DELIVERY_TIMEOUT_SECONDS: '1' });
    const { deliveries } = plan('fault-slow', 5, 1, 5);
    expect(await deliverUntilAcknowledged(service, deliveries[0]!, Date.now() + 10_000)).toBe(1); // creates the table
    const { deliveries: more, expected } = plan('fault-slow', 20, 2, 40);
    const locker = new pg.Client({ connectionString: postgresUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}"."fault_slow" IN ACCESS EXCLUSIVE MODE`);
      const started = Date.now();
      const response = await fetch(`${service.url}/firehose`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-amz-firehose-request-id': more[0]!.requestId, 'x-amz-firehose-access-key': ACCESS_KEY },
        body: more[0]!.body,
      });
      const elapsed = Date.now() - started;
      expect(response.status).toBe(503);
      expect(((await response.json()) as { errorMessage: string }).errorMessage).toMatch(/not written within 1000 ms/);
      expect(elapsed, 'answered at the deadline, not after the lock').toBeLessThan(30_000);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(await deliverUntilAcknowledged(service, more[0]!, Date.now() + 15_000)).toBeLessThanOrEqual(3);
    const state = await stateOf(schema, 'fault_slow');
    for (const [pk, want] of expected) expect(state.get(pk), pk).toEqual(want);
    expect(await stopService(service)).toBe(0);
  });
});
