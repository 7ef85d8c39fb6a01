import { describe, expect, it } from 'vitest';
import { DeliveryGate, untilAborted } from '../../../src/http/delivery-gate.js';
import { HttpError } from '../../../src/http/http-errors.js';

const withCode = (code: string) => expect.objectContaining({ name: 'HttpError', code });

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('DeliveryGate', () => {
  it('takes up to maxInFlight slots, refuses one more at once, and frees a slot once answered', () => {
    const counts: number[] = [];
    const gate = new DeliveryGate({ maxInFlight: 2, deadlineMs: 10_000, onChange: (n) => counts.push(n) });
    const a = gate.enter();
    gate.enter();
    expect(() => gate.enter()).toThrow(withCode('OVERLOADED'));
    expect(gate.inFlight).toBe(2);
    a.answered();
    a.answered(); // twice is harmless
    expect(gate.inFlight).toBe(1);
    gate.enter();
    expect(counts).toEqual([1, 2, 1, 2]);
  });

  it('keeps a slot taken while work it holds runs on after the answer', async () => {
    const gate = new DeliveryGate({ maxInFlight: 1, deadlineMs: 10_000 });
    const slot = gate.enter();
    const work = deferred();
    slot.hold(work.promise);
    slot.answered();
    expect(gate.inFlight).toBe(1);
    expect(() => gate.enter()).toThrow(withCode('OVERLOADED'));
    work.resolve();
    await work.promise;
    await Promise.resolve();
    expect(gate.inFlight).toBe(0);
  });

  it('aborts the slot signal at the deadline with DEADLINE_EXCEEDED', async () => {
    const gate = new DeliveryGate({ maxInFlight: 1, deadlineMs: 30 });
    // Before the slot's clock starts: a loaded machine may pause between the two.
    const started = Date.now();
    const slot = gate.enter();
    const never = new Promise<never>(() => undefined);
    await expect(untilAborted(never, slot.signal)).rejects.toEqual(withCode('DEADLINE_EXCEEDED'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect((slot.signal.reason as Error).message).toMatch(/within 30 ms/);
  });

  it('untilAborted passes the work through when it settles first', async () => {
    const controller = new AbortController();
    await expect(untilAborted(Promise.resolve(7), controller.signal)).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('boom')), controller.signal)).rejects.toThrow('boom');
  });

  it('drains: refuses new deliveries, waits for those in flight, and reports they finished', async () => {
    const gate = new DeliveryGate({ maxInFlight: 2, deadlineMs: 10_000 });
    const slot = gate.enter();
    const drained = gate.drain(5000);
    expect(gate.accepting).toBe(false);
    expect(() => gate.enter()).toThrow(withCode('SHUTTING_DOWN'));
    setTimeout(() => slot.answered(), 20);
    await expect(drained).resolves.toBe(true);
    expect(slot.signal.aborted).toBe(false);
  });

  it('drains with a timeout: cuts off what is left with SHUTTING_DOWN and waits for its answer only', async () => {
    const gate = new DeliveryGate({ maxInFlight: 2, deadlineMs: 10_000 });
    const slot = gate.enter();
    slot.hold(new Promise(() => undefined)); // a write that never ends
    const cutOff = untilAborted(new Promise(() => undefined), slot.signal).catch((error: unknown) => {
      slot.answered(); // what the handler does: answer 503
      return error;
    });
    const started = Date.now();
    await expect(gate.drain(50)).resolves.toBe(false);
    // The write never ends: a drain that waited for it would never resolve.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await cutOff).toBeInstanceOf(HttpError);
    expect(await cutOff).toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});
