import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { BadRequestError, BodyTooLargeError } from './http-errors.js';

const gunzipAsync = promisify(gunzip);

export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
}

export interface Body {
  /** The body, inflated when it came gzip-compressed. */
  readonly bytes: Buffer;
  /** Bytes as they came over the wire. */
  readonly receivedBytes: number;
}

/**
 * Reads the whole body, refusing to hold more than the limits allow (a gzip bomb stops at
 * `maxDecompressedBytes`), and inflates it when `Content-Encoding: gzip`. Stops reading when
 * `signal` aborts (a body trickling in past the delivery's deadline) and throws its reason.
 */
export async function readBody(request: Request, limits: BodyLimits, signal: AbortSignal): Promise<Body> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    throw new BadRequestError(`unsupported Content-Encoding ${JSON.stringify(encoding)} (expected gzip or none)`);
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limits.maxBodyBytes) throw tooLarge(limits.maxBodyBytes);
  const raw = await readLimited(request, limits.maxBodyBytes, signal);
  if (encoding === 'identity') return { bytes: raw, receivedBytes: raw.byteLength };
  try {
    const bytes = await gunzipAsync(raw, { maxOutputLength: limits.maxDecompressedBytes });
    signal.throwIfAborted();
    return { bytes, receivedBytes: raw.byteLength };
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
