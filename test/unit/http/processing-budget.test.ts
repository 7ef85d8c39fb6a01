import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { BudgetOutgrownError, ProcessingBudget } from '../../../src/http/processing-budget.js';
import { kinesisRecord } from '../../support/records.js';
import { appWith } from '../../support/app-with.js';
import { firehoseBody, firehoseRequest } from '../../support/firehose.js';
import { stubSink } from '../../support/stub-sink.js';

const never = new AbortController().signal;
const settled = async <T>(p: Promise<T>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
};

/** The request with its body gzip-compressed by `gzip`. */
async function gzipped(request: Request, gzip: (body: Buffer) => Buffer): Promise<Request> {
  const body = gzip(Buffer.from(await request.arrayBuffer()));
  const headers = new Headers(request.headers);
  headers.set('content-encoding', 'gzip');
  return new Request(request.url, { method: 'POST', headers, body });
}

describe('ProcessingBudget', () => {
  it('grants what fits at once and makes the rest wait, first come first served', async () => {
    const budget = new ProcessingBudget(100);
    const a = await budget.acquire(60, never);
    const b = budget.acquire(50, never);
    const c = budget.acquire(10, never);
    expect(await settled(b)).toBe(false);
    // c would fit, but b came first: no overtaking, or a large delivery could starve.
    expect(await settled(c)).toBe(false);
    a.release();
    const releaseB = await b;
    const releaseC = await c;
    expect(budget.usedBytes).toBe(60);
    releaseB.release();
    releaseC.release();
    expect(budget.usedBytes).toBe(0);
  });

  it('runs a body larger than the whole budget alone', async () => {
    const budget = new ProcessingBudget(100);
    const small = await budget.acquire(10, never);
    const huge = budget.acquire(500, never);
    expect(await settled(huge)).toBe(false);
    small.release();
    const releaseHuge = await huge;
    expect(budget.usedBytes).toBe(100);
    const next = budget.acquire(1, never);
    expect(await settled(next)).toBe(false);
    releaseHuge.release();
    (await next).release();
  });

  it('gives up a wait when the signal aborts (deadline, shutdown), and lets the next one in', async () => {
    const budget = new ProcessingBudget(100);
    const held = await budget.acquire(90, never);
    const deadline = new AbortController();
    const cut = budget.acquire(50, deadline.signal);
    const after = budget.acquire(10, never);
    deadline.abort(new Error('deadline'));
    await expect(cut).rejects.toThrow('deadline');
    const releaseAfter = await after;
    expect(budget.usedBytes).toBe(100);
    held.release();
    releaseAfter.release();
    releaseAfter.release(); // twice gives back once
    expect(budget.usedBytes).toBe(0);
  });
});

describe('a lease of the budget', () => {
  it('covers bytes past its grant while the budget has them free, and refuses beyond', async () => {
    const budget = new ProcessingBudget(100);
    const lease = await budget.acquire(10, never);
    const other = await budget.acquire(30, never);
    lease.cover(5); // within the grant
    lease.cover(60);
    expect([lease.bytes, budget.usedBytes]).toEqual([60, 90]);
    expect(() => lease.cover(71)).toThrow(BudgetOutgrownError);
    expect([lease.bytes, budget.usedBytes]).toEqual([60, 90]);
    lease.release();
    other.release();
    expect(budget.usedBytes).toBe(0);
  });

  it('covers anything once it holds the whole budget (its delivery runs alone)', async () => {
    const budget = new ProcessingBudget(100);
    const alone = await budget.acquire(Infinity, never);
    alone.cover(10_000);
    expect([alone.bytes, budget.usedBytes]).toEqual([100, 100]);
    alone.release();
  });
});

describe('the processing budget in the app', () => {
  // Three deliveries of about 0.4 MiB in flight at once, against a sink that counts writes at once.
  // A write is held until all three are writing (or a second has passed), so that a slow machine
  // cannot make writes that could overlap miss each other.
  async function maxConcurrentWrites(maxProcessingBytes: number, gzip: (body: Buffer) => Buffer = gzipSync): Promise<number> {
    let now = 0;
    let max = 0;
    const sink = stubSink();
    const plain = sink.write;
    const held: (() => void)[] = [];
    sink.write = async (batch) => {
      max = Math.max(max, ++now);
      await new Promise<void>((resolve) => {
        held.push(resolve);
        if (now === 3) held.splice(0).forEach((release) => release());
        else setTimeout(resolve, 1000);
      });
      now--;
      return plain(batch);
    };
    const { app } = appWith(sink, { config: { maxProcessingBytes, maxConcurrentDeliveries: 4 } });
    const bodies = [0, 1, 2].map((d) =>
      firehoseBody(Array.from({ length: 500 }, (_, i) => kinesisRecord({ id: `d${d}-${i}`, micros: 1, attributes: { pad: { S: 'x'.repeat(500) } } }))),
    );
    const responses = await Promise.all(bodies.map(async (b) => app.request(await gzipped(firehoseRequest(b), gzip))));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    return max;
  }

  it('processes deliveries one at a time when together they exceed it, all at once when they fit', async () => {
    expect(await maxConcurrentWrites(512 * 1024)).toBe(1);
    expect(await maxConcurrentWrites(64 * 1024 * 1024)).toBe(3);
  });

  it('counts the bytes out of the inflater, whatever the gzip trailer says: a large member then a tiny one declares 1 byte', async () => {
    const twoMembers = (body: Buffer) => Buffer.concat([gzipSync(body.subarray(0, -1)), gzipSync(body.subarray(-1))]);
    const sample = twoMembers(Buffer.from(JSON.stringify(firehoseBody([kinesisRecord({ id: 'x', micros: 1 })]))));
    expect(sample.readUInt32LE(sample.length - 4)).toBe(1);
    expect(await maxConcurrentWrites(512 * 1024, twoMembers)).toBe(1);
    expect(await maxConcurrentWrites(64 * 1024 * 1024, twoMembers)).toBe(3);
  });
});
