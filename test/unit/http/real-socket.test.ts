import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { BodyBuffers } from '../../../src/http/body-buffers.js';
import type { WriteBatch } from '../../../src/translate/write-batch.js';
import { appWith } from '../../support/app-with.js';
import { ACCESS_KEY, firehoseBody, firehoseRequest } from '../../support/firehose.js';
import { close, listen } from '../../support/listen.js';
import { kinesisRecord } from '../../support/records.js';
import { stubSink } from '../../support/stub-sink.js';

/** Over a real socket, what Firehose checks (CONTEXT.md §1): JSON, a Content-Length, no Content-Encoding. */
describe('the access key over a real socket', () => {
  it('accepts a non-ASCII key sent as UTF-8 bytes (as curl sends it)', async () => {
    const key = 'clé-ключ';
    const { server, port } = await listen(appWith(stubSink(), { env: { ACCESS_KEY: key } }).app);
    // Node's client writes each character of a header string as one byte: these are the UTF-8 bytes.
    const utf8Bytes = Buffer.from(key, 'utf8').toString('latin1');
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/records', method: 'POST', headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        // A Buffer body: Node's client writes a string body together with the headers, in the
        // body's encoding, which would send these header bytes UTF-8-encoded a second time.
        req.end(Buffer.from('[]'));
      });
    try {
      expect(await post({ authorization: `Bearer ${utf8Bytes}` })).toBe(200);
      expect(await post({ 'x-amz-firehose-access-key': utf8Bytes })).toBe(200);
      expect(await post({ 'x-amz-firehose-access-key': 'cle-kljuch' })).toBe(401);
    } finally {
      await close(server);
    }
  });
});

describe('bodies over a real socket, their memory lent from one delivery to the next', () => {
  // Decreasing sizes, so that each body fits the memory of one before it; beside the usual
  // records, ones the fast readers leave to the slow (a bad one, an escape, non-ASCII).
  const recordsOf = (d: number) => {
    const micros = Date.now() * 1000 - 1_000_000;
    return Array.from({ length: 120 - 10 * d }, (_, i) => {
      if (i === 3) return Buffer.from(`not json ${d}`).toString('base64');
      const note = i === 5 ? `é ${d}` : i === 7 ? `say "${d}"` : `n${d}-${randomBytes(1000 + i).toString('base64')}`;
      return kinesisRecord({ id: `d${d}-r${i}`, micros: micros + i, attributes: { note: { S: note } } });
    });
  };
  const post = (port: number, body: Buffer, how: 'plain' | 'gzip' | 'chunked') =>
    new Promise<number>((resolve, reject) => {
      const payload = how === 'gzip' ? gzipSync(body) : body;
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-firehose-access-key': ACCESS_KEY };
      if (how === 'gzip') headers['content-encoding'] = 'gzip';
      if (how !== 'chunked') headers['content-length'] = String(payload.length);
      const req = request({ host: '127.0.0.1', port, path: '/firehose', method: 'POST', headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      // Half, then the rest a moment later: the two bodies of a pair arrive at the same time.
      const half = payload.length >> 1;
      req.write(payload.subarray(0, half));
      setTimeout(() => req.end(payload.subarray(half)), 20);
    });

  it('writes what each delivery body holds, plain, gzip or chunked, several at once, while the next reuse their memory', async () => {
    const bodies = Array.from({ length: 9 }, (_, d) => Buffer.from(JSON.stringify(firehoseBody(recordsOf(d)))));
    const hows = ['plain', 'gzip', 'chunked'] as const;
    // The writes outlast the next body's arrival: rows still held while its memory is lent again.
    const written: WriteBatch[] = [];
    const slow = stubSink({
      write: async (batch) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        written.push(batch);
        return { ok: true, tables: batch.tables.map((t) => ({ table: t.table, outcomes: t.rows.map(() => ({ outcome: 'applied' as const })) })) };
      },
    });
    const lend = vi.spyOn(BodyBuffers.prototype, 'lend');
    let lent = 0;
    const { server, port } = await listen(appWith(slow, { env: { MAX_CONCURRENT_DELIVERIES: '9' } }).app);
    try {
      // One started every 15 ms, each sent in two halves 20 ms apart: bodies arrive, inflate and
      // decode while others do.
      const statuses = await Promise.all(
        bodies.map((body, d) => new Promise((resolve) => setTimeout(resolve, 15 * d)).then(() => post(port, body, hows[d % 3]!))),
      );
      expect(statuses).toEqual(bodies.map(() => 200));
      lent = lend.mock.calls.length;
    } finally {
      await close(server);
      lend.mockRestore();
    }
    // Plain bodies into memory lent once each, gzip ones twice (the body, then what it inflates to).
    expect(lent).toBe(3 * 1 + 3 * 2);

    // The same bodies in process (no socket: nothing lent) give the batches to compare with.
    const inProcess = stubSink();
    const { app } = appWith(inProcess);
    for (const body of bodies) expect((await app.request(firehoseRequest(JSON.parse(body.toString())))).status).toBe(200);
    const byRequest = (batches: readonly WriteBatch[]) => [...batches].sort((a, b) => a.requestId.localeCompare(b.requestId));
    expect(byRequest(written)).toEqual(byRequest(inProcess.batches));
    for (const [d, body] of bodies.entries()) {
      const { requestId, records } = JSON.parse(body.toString()) as { requestId: string; records: { data: string }[] };
      const batch = written.find((b) => b.requestId === requestId)!;
      expect(batch.tables[0]!.rows).toHaveLength(records.length - 1);
      expect(batch.tables[0]!.rows.find((r) => r.pk.includes(`d${d}-r5`))!.data).toContain(`é ${d}`);
      expect(batch.deadLetters.map((l) => l.payload)).toEqual([records[3]!.data]);
    }
  });
});
