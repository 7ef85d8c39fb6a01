import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, liveCrateDbTarget, sinkTargets, type Harness } from '../support/sinks.js';

// One contract for every checkpoint store (README, "Stream consumers"): the embedded database,
// the PostgreSQL server, and a live CrateDB (CRATEDB_URL). The CrateDB stand-in cannot run the
// store's statements (it rewrites only the sink's own), so CrateDB's store runs live or not at all.
const targets = [...sinkTargets.filter((t) => t.name !== 'cratedb-stand-in'), liveCrateDbTarget];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const target of targets) {
  describe.skipIf(target.skipReason !== null)(`checkpoint store in ${target.name}${target.skipReason ? ` (skipped: ${target.skipReason})` : ''}`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await createHarness(target.name);
      await h.checkpoints.init();
      await h.checkpoints.init(); // again: harmless
    });
    afterAll(async () => {
      await h?.close();
    });
    const stream = () => `arn:aws:kinesis:us-east-1:000000000000:stream/s-${randomUUID()}`;

    it('gives the lease to one owner at a time: renewed by its holder, refused to others, free once released', async () => {
      const s = stream();
      expect(await h.checkpoints.acquire(s, 'a', 10_000)).toEqual({ held: true, holder: 'a' });
      expect(await h.checkpoints.acquire(s, 'b', 10_000)).toEqual({ held: false, holder: 'a' });
      expect(await h.checkpoints.acquire(s, 'a', 10_000)).toEqual({ held: true, holder: 'a' });
      await h.checkpoints.release(s, 'b'); // not b's to release
      expect(await h.checkpoints.acquire(s, 'b', 10_000)).toEqual({ held: false, holder: 'a' });
      await h.checkpoints.release(s, 'a');
      expect(await h.checkpoints.acquire(s, 'b', 10_000)).toEqual({ held: true, holder: 'b' });
    });

    it('lets another owner take an expired lease, after which the old holder can no longer checkpoint', async () => {
      const s = stream();
      expect((await h.checkpoints.acquire(s, 'a', 300)).held).toBe(true);
      expect(await h.checkpoints.save(s, 'a', { shard: 'shard-1', sequence: '1', finished: false })).toBe(true);
      await sleep(500);
      expect(await h.checkpoints.acquire(s, 'b', 10_000)).toEqual({ held: true, holder: 'b' });
      expect(await h.checkpoints.save(s, 'a', { shard: 'shard-1', sequence: '2', finished: false })).toBe(false);
      expect((await h.checkpoints.load(s)).map((c) => c.sequence)).toEqual(['1']);
      expect(await h.checkpoints.acquire(s, 'a', 10_000)).toEqual({ held: false, holder: 'b' });
    });

    it('gives a free lease to exactly one of several owners asking at once', async () => {
      const s = stream();
      const answers = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((owner) => h.checkpoints.acquire(s, owner, 10_000)));
      expect(answers.filter((a) => a.held)).toHaveLength(1);
      const holder = answers.find((a) => a.held)!.holder;
      expect(answers.every((a) => a.holder === holder)).toBe(true);
    });

    it('keeps checkpoints per stream and shard exactly (40-digit sequence numbers), forgets and resets them', async () => {
      const s = stream();
      const other = stream();
      await h.checkpoints.acquire(s, 'a', 10_000);
      await h.checkpoints.acquire(other, 'a', 10_000);
      const big = '49680730345725156441582959816587658280629862474205626370';
      expect(await h.checkpoints.save(s, 'a', { shard: 'shard-1', sequence: big, finished: false })).toBe(true);
      expect(await h.checkpoints.save(s, 'a', { shard: 'shard-2', sequence: null, finished: false })).toBe(true);
      expect(await h.checkpoints.save(s, 'a', { shard: 'shard-2', sequence: '7', finished: true })).toBe(true);
      expect(await h.checkpoints.save(other, 'a', { shard: 'shard-1', sequence: '9', finished: false })).toBe(true);
      const loaded = await h.checkpoints.load(s);
      expect(loaded.map(({ shard, sequence, finished }) => ({ shard, sequence, finished }))).toEqual([
        { shard: 'shard-1', sequence: big, finished: false },
        { shard: 'shard-2', sequence: '7', finished: true },
      ]);
      expect(Math.abs(loaded[0]!.updatedAt.getTime() - Date.now())).toBeLessThan(60_000);
      await h.checkpoints.forget(s, ['shard-2']);
      expect((await h.checkpoints.load(s)).map((c) => c.shard)).toEqual(['shard-1']);
      await h.checkpoints.reset(s);
      expect(await h.checkpoints.load(s)).toEqual([]);
      expect((await h.checkpoints.load(other)).map((c) => c.sequence)).toEqual(['9']);
    });
  });
}
