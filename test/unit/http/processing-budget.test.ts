import { describe, expect, it } from 'vitest';
import { ProcessingBudget } from '../../../src/http/processing-budget.js';
import { kinesisRecord } from '../../support/records.js';
import { appWith } from '../../support/app-with.js';
import { firehoseBody, firehoseRequest } from '../../support/firehose.js';
import { stubSink } from '../../support/stub-sink.js';

const never = new AbortController().signal;
const settled = async <T>(p: Promise<T>) => {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('ProcessingBudget', () => {
  it('grants what fits at once and makes the rest wait, first come first served', async () => {
    const budget = new ProcessingBudget(100);
    const a = await budget.acquire(60, never);
    const b = budget.acquire(50, never);
    const c = budget.acquire(10, never);
    expect(await settled(b)).toBe(false);
    // c would fit, but b came first: no overtaking, or a large delivery could starve.
    expect(await settled(c)).toBe(false);
    a();
    const releaseB = await b;
    const releaseC = await c;
    expect(budget.usedBytes).toBe(60);
    releaseB();
    releaseC();
    expect(budget.usedBytes).toBe(0);
  });

  it('runs a body larger than the whole budget alone', async () => {
    const budget = new ProcessingBudget(100);
    const small = await budget.acquire(10, never);
    const huge = budget.acquire(500, never);
    expect(await settled(huge)).toBe(false);
    small();
    const releaseHuge = await huge;
    expect(budget.usedBytes).toBe(100);
    const next = budget.acquire(1, never);
    expect(await settled(next)).toBe(false);
    releaseHuge();
    (await next)();
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
    held();
    releaseAfter();
    releaseAfter(); // twice gives back once
    expect(budget.usedBytes).toBe(0);
  });
});

describe('the processing budget in the app', () => {
  // Three deliveries of about 0.4 MiB in flight at once, against a sink that counts writes at once.
  async function maxConcurrentWrites(maxProcessingBytes: number): Promise<number> {
    let now = 0;
    let max = 0;
    const sink = stubSink();
    const plain = sink.write;
    sink.write = async (batch) => {
      max = Math.max(max, ++now);
      await new Promise((r) => setTimeout(r, 100));
      now--;
      return plain(batch);
    };
    const { app } = appWith(sink, { config: { maxProcessingBytes, maxConcurrentDeliveries: 4 } });
    const bodies = [0, 1, 2].map((d) =>
      firehoseBody(Array.from({ length: 500 }, (_, i) => kinesisRecord({ id: `d${d}-${i}`, micros: 1, attributes: { pad: { S: 'x'.repeat(500) } } }))),
    );
    const responses = await Promise.all(bodies.map((b) => app.request(firehoseRequest(b, { gzip: true }))));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    return max;
  }

  it('processes deliveries one at a time when together they exceed it, all at once when they fit', async () => {
    expect(await maxConcurrentWrites(512 * 1024)).toBe(1);
    expect(await maxConcurrentWrites(64 * 1024 * 1024)).toBe(3);
  });
});
