import { parentPort } from 'node:worker_threads';
import type { ChangeBounds } from '../decode/change-bounds.js';
import { decodeFirehoseBody } from '../decode/firehose-body.js';

// A decoding worker (body-decoder.ts): bodies in, decodeFirehoseBody's answers out.
parentPort!.on('message', ({ id, bytes, bounds }: { id: number; bytes: Uint8Array; bounds: ChangeBounds }) => {
  try {
    parentPort!.postMessage({ id, result: decodeFirehoseBody(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), bounds) });
  } catch (error) {
    parentPort!.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
