import { IncomingMessage } from 'node:http';
import { createGunzip } from 'node:zlib';
import type { BodyBuffers } from './body-buffers.js';
import { badRequest, bodyTooLarge, type HttpError } from './http-errors.js';

export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
}

/** A body as it came over the wire, not yet inflated. */
export interface ReceivedBody {
  readonly raw: Buffer;
  readonly gzip: boolean;
}

/**
 * The body as received, refusing to hold more than `maxBodyBytes`. Stops reading when `signal`
 * aborts (a body trickling in past the delivery's deadline) and throws its reason. `incoming`,
 * Node's own request behind `request` (nodeRequestOf), is read directly: through the two web
 * streams @hono/node-server wraps it in, every chunk of a body cost more than the copy itself;
 * its chunks are copied as they come into a buffer `buffers` lends when its length is declared.
 */
export async function receiveBody(
  request: Request,
  limits: BodyLimits,
  signal: AbortSignal,
  incoming?: IncomingMessage,
  buffers?: BodyBuffers,
): Promise<ReceivedBody> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    // The header's text is not echoed: an answer never carries text a client chose.
    throw badRequest('unsupported Content-Encoding (expected gzip or none)');
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limits.maxBodyBytes) throw tooLarge(limits.maxBodyBytes);
  if (incoming === undefined) return { raw: await readLimited(request, limits.maxBodyBytes, signal), gzip: encoding === 'gzip' };
  const into = buffers !== undefined && Number.isSafeInteger(declared) && declared > 0 ? buffers.lend(declared) : undefined;
  const raw = await readIncoming(incoming, limits.maxBodyBytes, signal, into);
  return { raw, gzip: encoding === 'gzip' };
}

/** The Node request a handler's environment holds when @hono/node-server serves it (`c.env`), unread; else undefined. */
export function nodeRequestOf(env: unknown): IncomingMessage | undefined {
  const incoming = (env as { incoming?: unknown } | undefined)?.incoming;
  return incoming instanceof IncomingMessage && !incoming.readableDidRead ? incoming : undefined;
}

// Deflate inflates at most about 1032 to 1: a trailer claiming more is not believed.
const MAX_DEFLATE_RATIO = 1032;

/**
 * What the body will weigh once inflated, before inflating it: an estimate only. Gzip's trailer
 * states the size of the last member (modulo 4 GiB), so a large member followed by a tiny one
 * declares a few bytes: what comes out of the inflater is counted (`hold` in inflateBody).
 */
export function inflatedSizeOf(body: ReceivedBody, limits: BodyLimits): number {
  if (!body.gzip || body.raw.length < 18) return body.raw.length;
  const stated = Math.max(body.raw.readUInt32LE(body.raw.length - 4), body.raw.length);
  return Math.max(1, Math.min(stated, body.raw.length * MAX_DEFLATE_RATIO, limits.maxDecompressedBytes));
}

/**
 * Inflates a gzip body into one buffer sized from its estimate (grown if the trailer understates
 * it), stopping at `maxDecompressedBytes`: a gzip bomb is refused, not held, and the body is never
 * held twice (as chunks and as their concatenation). `hold` is told the bytes inflated so far
 * before they are kept, and may throw to stop.
 */
export async function inflateBody(
  body: ReceivedBody,
  limits: BodyLimits,
  signal: AbortSignal,
  hold: (bytes: number) => void = () => undefined,
  buffers?: BodyBuffers,
): Promise<Buffer> {
  if (!body.gzip) return body.raw;
  const bytes = await gunzipInto(body.raw, inflatedSizeOf(body, limits), limits.maxDecompressedBytes, signal, hold, buffers);
  signal.throwIfAborted();
  return bytes;
}

function gunzipInto(raw: Buffer, size: number, max: number, signal: AbortSignal, hold: (bytes: number) => void, buffers?: BodyBuffers): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: 256 * 1024 });
    let out = buffers?.lend(size) ?? Buffer.allocUnsafe(size);
    let length = 0;
    const fail = (error: Error) => {
      signal.removeEventListener('abort', onAbort);
      gunzip.destroy();
      reject(error);
    };
    const onAbort = () => fail(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    gunzip.on('data', (chunk: Buffer) => {
      const needed = length + chunk.length;
      if (needed > max) return fail(bodyTooLarge(`decompressed body exceeds ${max} bytes`));
      try {
        hold(needed);
      } catch (error) {
        return fail(error as Error);
      }
      if (needed > out.length) {
        const grown = Buffer.allocUnsafe(Math.min(max, Math.max(needed, out.length * 2)));
        out.copy(grown, 0, 0, length);
        buffers?.giveBack(out);
        out = grown;
      }
      chunk.copy(out, length);
      length = needed;
    });
    gunzip.on('error', (error) => fail(badRequest(`body is not valid gzip: ${error.message}`, { cause: error })));
    gunzip.on('end', () => {
      signal.removeEventListener('abort', onAbort);
      // zlib checks each member's stated size, so a trailer can understate the body (concatenated
      // members), never overstate it.
      resolve(out.subarray(0, length));
    });
    gunzip.end(raw);
  });
}

async function readLimited(request: Request, max: number, signal: AbortSignal): Promise<Buffer> {
  signal.throwIfAborted();
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  // Cancelling ends the pending read (done), after which the abort is noticed below.
  const stop = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      signal.throwIfAborted();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel();
        throw tooLarge(max);
      }
      chunks.push(value);
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
  return Buffer.concat(chunks, size);
}

/**
 * readLimited over Node's request, into `into` (sized by Content-Length, which Node's parser holds
 * the body to) when given. Once it stops early (too large, aborted), the rest of the body is left
 * unread: @hono/node-server drains it after the answer, as when a web stream is cancelled.
 */
function readIncoming(incoming: IncomingMessage, max: number, signal: AbortSignal, into?: Buffer): Promise<Buffer> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error?: unknown) => {
      incoming.off('data', onData).off('end', onEnd).off('error', settle).off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve(into === undefined ? Buffer.concat(chunks, size) : into.subarray(0, size));
      else {
        incoming.pause();
        reject(error);
      }
    };
    const onData = (chunk: Buffer) => {
      const at = size;
      size += chunk.length;
      if (size > max) settle(tooLarge(max));
      else if (into === undefined) chunks.push(chunk);
      else if (size <= into.length) chunk.copy(into, at);
      else settle(badRequest('body longer than its Content-Length'));
    };
    const onEnd = () => settle();
    const onClose = () => settle(new Error('the client closed the connection before the whole body came'));
    const onAbort = () => settle(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    incoming.on('data', onData).on('end', onEnd).on('error', settle).on('close', onClose);
  });
}

function tooLarge(max: number): HttpError {
  return bodyTooLarge(`body exceeds ${max} bytes`);
}
