import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { BadRequestError, BodyTooLargeError } from './http-errors.js';

const gunzipAsync = promisify(gunzip);

export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly maxDecompressedBytes: number;
}

/**
 * Reads the whole body, refusing to hold more than the limits allow (a gzip bomb stops at
 * `maxDecompressedBytes`), and inflates it when `Content-Encoding: gzip`.
 */
export async function readBody(request: Request, limits: BodyLimits): Promise<Buffer> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'gzip' && encoding !== 'identity') {
    throw new BadRequestError(`unsupported Content-Encoding ${JSON.stringify(encoding)} (expected gzip or none)`);
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limits.maxBodyBytes) throw tooLarge(limits.maxBodyBytes);
  const raw = await readLimited(request, limits.maxBodyBytes);
  if (encoding === 'identity') return raw;
  try {
    return await gunzipAsync(raw, { maxOutputLength: limits.maxDecompressedBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new BodyTooLargeError(`decompressed body exceeds ${limits.maxDecompressedBytes} bytes`);
    }
    throw new BadRequestError(`body is not valid gzip: ${(error as Error).message}`, { cause: error });
  }
}

async function readLimited(request: Request, max: number): Promise<Buffer> {
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooLarge(max);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}

function tooLarge(max: number): BodyTooLargeError {
  return new BodyTooLargeError(`body exceeds ${max} bytes`);
}
