import { randomBytes } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { BodyBuffers } from '../../../src/http/body-buffers.js';
import { bodyTooLarge } from '../../../src/http/http-errors.js';
import { inflateBody, inflatedSizeOf, receiveBody, type BodyLimits } from '../../../src/http/read-body.js';

const MiB = 1024 * 1024;
const limits: BodyLimits = { maxBodyBytes: 8 * MiB, maxDecompressedBytes: 4 * MiB };
const signal = () => new AbortController().signal;

// Incompressible halves, so that the sizes below are what gzip's trailers say.
const text = Buffer.concat([randomBytes(300_000), Buffer.alloc(700_000, 0x61)]);

/** A gzip body whose trailer states `claimed` instead of its real size (the CRC stays right). */
function withClaimedSize(gzip: Buffer, claimed: number): Buffer {
  const copy = Buffer.from(gzip);
  copy.writeUInt32LE(claimed >>> 0, copy.length - 4);
  return copy;
}

describe('inflateBody', () => {
  it('returns the body as it came when it is not gzip', async () => {
    const raw = Buffer.from('{"a":1}');
    expect(await inflateBody({ raw, gzip: false }, limits, signal())).toBe(raw);
  });

  it('inflates into a buffer of the size the trailer states', async () => {
    const raw = gzipSync(text);
    expect(inflatedSizeOf({ raw, gzip: true }, limits)).toBe(text.length);
    const bytes = await inflateBody({ raw, gzip: true }, limits, signal());
    expect(bytes.equals(text)).toBe(true);
    expect(bytes.buffer.byteLength).toBeLessThan(text.length + 64 * 1024);
  });

  it('grows past a trailer that understates the size: concatenated members state the last one only', async () => {
    const raw = Buffer.concat([gzipSync(text), gzipSync(Buffer.from('tail'))]);
    expect(inflatedSizeOf({ raw, gzip: true }, limits)).toBeLessThan(text.length);
    const bytes = await inflateBody({ raw, gzip: true }, limits, signal());
    expect(bytes.equals(Buffer.concat([text, Buffer.from('tail')]))).toBe(true);
  });

  it('tells hold every byte as it comes out of the inflater, not what the trailer says, and stops when hold throws', async () => {
    const raw = Buffer.concat([gzipSync(text), gzipSync(Buffer.from('t'))]);
    expect(raw.readUInt32LE(raw.length - 4)).toBe(1);
    const held: number[] = [];
    await inflateBody({ raw, gzip: true }, limits, signal(), (bytes) => held.push(bytes));
    expect(held.at(-1)).toBe(text.length + 1);
    expect(held).toEqual([...held].sort((x, y) => x - y));
    const stop = new Error('over the budget');
    await expect(
      inflateBody({ raw, gzip: true }, limits, signal(), (bytes) => {
        if (bytes > 500_000) throw stop;
      }),
    ).rejects.toBe(stop);
  });

  it('refuses a body whose trailer misstates its size', async () => {
    const raw = withClaimedSize(gzipSync(Buffer.from('{"small":true}')), 3 * MiB);
    await expect(inflateBody({ raw, gzip: true }, limits, signal())).rejects.toThrow(/^body is not valid gzip: incorrect length check$/);
  });

  it('refuses a body that inflates past the limit, whatever the trailer says', async () => {
    const raw = withClaimedSize(gzipSync(Buffer.alloc(5 * MiB)), 100);
    await expect(inflateBody({ raw, gzip: true }, limits, signal())).rejects.toThrow(bodyTooLarge(`decompressed body exceeds ${4 * MiB} bytes`));
  });

  it('refuses bytes that are not gzip, or are cut short', async () => {
    await expect(inflateBody({ raw: Buffer.from('not gzip at all'), gzip: true }, limits, signal())).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const cut = gzipSync(text).subarray(0, 1000);
    await expect(inflateBody({ raw: cut, gzip: true }, limits, signal())).rejects.toThrow(/^body is not valid gzip: unexpected end of file$/);
  });

  it('stops when the delivery is aborted', async () => {
    const controller = new AbortController();
    const pending = inflateBody({ raw: gzipSync(Buffer.alloc(3 * MiB)), gzip: true }, limits, controller.signal);
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
  });
});

describe('receiveBody into lent memory', () => {
  const request = (length: number) => new Request('http://sink.test/firehose', { method: 'POST', headers: { 'content-length': String(length) } });
  /** Node's request with these chunks as its body. */
  const incomingOf = (...chunks: Buffer[]) => {
    const incoming = new IncomingMessage(new Socket());
    for (const chunk of chunks) incoming.push(chunk);
    incoming.push(null);
    return incoming;
  };

  it('reads a body of its declared length into memory the buffers lend', async () => {
    const buffers = new BodyBuffers();
    const lend = vi.spyOn(buffers, 'lend');
    const received = await receiveBody(request(10), limits, signal(), incomingOf(Buffer.from('{"a":'), Buffer.from('12}  ')), buffers);
    expect(received.raw.toString()).toBe('{"a":12}  ');
    expect(lend).toHaveBeenCalledWith(10);
    expect(lend.mock.results[0]!.value.buffer).toBe(received.raw.buffer);
  });

  it('refuses a body longer than its Content-Length, clearly', async () => {
    const buffers = new BodyBuffers();
    await expect(receiveBody(request(4), limits, signal(), incomingOf(Buffer.from('{"a":1}')), buffers)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'body longer than its Content-Length',
    });
  });

  it('lends nothing for a body read through the web request (no Node request behind it)', async () => {
    const buffers = new BodyBuffers();
    const lend = vi.spyOn(buffers, 'lend');
    const received = await receiveBody(
      new Request('http://sink.test/firehose', { method: 'POST', headers: { 'content-length': '7' }, body: '{"a":1}' }),
      limits,
      signal(),
      undefined,
      buffers,
    );
    expect(received.raw.toString()).toBe('{"a":1}');
    expect(lend).not.toHaveBeenCalled();
  });
});
