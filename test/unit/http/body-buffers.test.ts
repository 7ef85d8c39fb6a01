import { describe, expect, it } from 'vitest';
import { BodyBuffers } from '../../../src/http/body-buffers.js';

const MiB = 1024 * 1024;

describe('BodyBuffers', () => {
  it('lends the size asked for, and the memory given back to the next body that fits it', () => {
    const buffers = new BodyBuffers();
    const first = buffers.lend(3 * MiB + 5);
    expect(first.length).toBe(3 * MiB + 5);
    buffers.giveBack(first);
    const second = buffers.lend(3 * MiB + 100);
    expect(second.buffer).toBe(first.buffer);
    expect(second.length).toBe(3 * MiB + 100);
    // Still lent: the next body gets memory of its own.
    expect(buffers.lend(MiB).buffer).not.toBe(first.buffer);
  });

  it('gives the smallest memory that fits', () => {
    const buffers = new BodyBuffers();
    const large = buffers.lend(5 * MiB);
    const small = buffers.lend(2 * MiB);
    buffers.giveBack(large);
    buffers.giveBack(small);
    expect(buffers.lend(MiB).buffer).toBe(small.buffer);
    expect(buffers.lend(MiB).buffer).toBe(large.buffer);
  });

  it('takes back only what it lent, each once', () => {
    const buffers = new BodyBuffers();
    const foreign = Buffer.allocUnsafeSlow(MiB);
    buffers.giveBack(foreign);
    expect(buffers.lend(MiB).buffer).not.toBe(foreign.buffer);

    const lent = buffers.lend(MiB);
    buffers.giveBack(lent.subarray(0, 10)); // any view of it
    buffers.giveBack(lent);
    expect(buffers.lend(MiB).buffer).toBe(lent.buffer);
    // Given back twice, lent once: the second body does not share the first's memory.
    expect(buffers.lend(MiB).buffer).not.toBe(lent.buffer);
  });

  it('keeps no more than it is told, and nothing larger than its largest', () => {
    const buffers = new BodyBuffers(2, 4 * MiB);
    const huge = buffers.lend(4 * MiB + 1);
    buffers.giveBack(huge);
    expect(buffers.lend(4 * MiB + 1).buffer).not.toBe(huge.buffer);

    const lent = [buffers.lend(MiB), buffers.lend(MiB), buffers.lend(MiB)];
    for (const b of lent) buffers.giveBack(b);
    const again = [buffers.lend(MiB), buffers.lend(MiB), buffers.lend(MiB)].map((b) => b.buffer);
    expect(again.filter((m) => lent.some((b) => b.buffer === m))).toHaveLength(2);
  });
});
