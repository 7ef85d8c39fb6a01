import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { BadRequestError, BodyTooLargeError } from './http-errors.js';

const gunzipAsync = promisify(gunzip);

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
 * aborts (a body trickling in past the delivery's deadline) and throws its reason.
 */
export async function receiveBody(request: Request, limits: BodyLimits, signal: AbortSignal): Promise<ReceivedBody> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    throw new BadRequestError(`unsupported Content-Encoding ${JSON.stringify(encoding)} (expected gzip or none)`);
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limits.maxBodyBytes) throw tooLarge(limits.maxBodyBytes);
  return { raw: await readLimited(request, limits.maxBodyBytes, signal), gzip: encoding === 'gzip' };
}

/**
 * What the body will weigh once inflated, before inflating it: gzip's trailer states the size
 * (modulo 4 GiB, of the last member only), so this is an estimate, within the limits.
 */
export function inflatedSizeOf(body: ReceivedBody, limits: BodyLimits): number {
  if (!body.gzip || body.raw.length < 18) return body.raw.length;
  return Math.min(Math.max(body.raw.readUInt32LE(body.raw.length - 4), body.raw.length), limits.maxDecompressedBytes);
}

/** Inflates a gzip body, stopping at `maxDecompressedBytes` (a gzip bomb is refused, not held). */
export async function inflateBody(body: ReceivedBody, limits: BodyLimits, signal: AbortSignal): Promise<Buffer> {
  const { raw } = body;
  if (!body.gzip) return raw;
  try {
    const bytes = await gunzipAsync(raw, { maxOutputLength: limits.maxDecompressedBytes });
    signal.throwIfAborted();
    return bytes;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BodyTooLargeError(`decompressed body exceeds ${limits.maxDecompressedBytes} bytes`);
    }
    throw new BadRequestError(`body is not valid gzip: ${(error as Error).message}`, { cause: error });
  }
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

function tooLarge(max: number): BodyTooLargeError {
  return new BodyTooLargeError(`body exceeds ${max} bytes`);
}
