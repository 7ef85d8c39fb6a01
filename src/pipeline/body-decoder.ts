import { Worker } from 'node:worker_threads';
import type { ChangeBounds } from '../decode/change-bounds.js';
import { decodeFirehoseBody, type FirehoseBodyResult } from '../decode/firehose-body.js';

/**
 * Where Firehose bodies are decoded: on the thread that serves HTTP and writes to the database,
 * or in a pool of worker threads, so that decoding uses cores the main thread cannot
 * (DECODE_WORKERS; README, "Performance", says when it helps). Either gives the same answer:
 * decodeFirehoseBody's, which is pure.
 */
export interface BodyDecoder {
  readonly workers: number;
  decode(bytes: Buffer, bounds: ChangeBounds): Promise<FirehoseBodyResult>;
  close(): Promise<void>;
}

export function bodyDecoder(workers: number): BodyDecoder {
  return workers > 0 ? new WorkerPool(workers) : onThisThread;
}

const onThisThread: BodyDecoder = {
  workers: 0,
  decode: (bytes, bounds) => Promise.resolve(decodeFirehoseBody(bytes, bounds)),
  close: () => Promise.resolve(),
};

interface Job {
  readonly resolve: (result: FirehoseBodyResult) => void;
  readonly reject: (error: Error) => void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly jobs: Map<number, Job>;
}

// Under vitest the modules are TypeScript: the worker then loads its source through tsx.
const here = import.meta.url;
const fromSource = here.endsWith('.ts');
const workerUrl = new URL(fromSource ? './body-decoder-worker.ts' : './body-decoder-worker.js', here);

function startWorker(): Worker {
  if (!fromSource) return new Worker(workerUrl);
  const api = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); })`, { eval: true });
}

/** Bodies go to the worker with the fewest in hand; a worker that dies fails its bodies and is replaced. */
class WorkerPool implements BodyDecoder {
  private readonly pool: (PoolWorker | undefined)[];
  private nextId = 0;
  private closed = false;

  constructor(readonly workers: number) {
    this.pool = new Array<PoolWorker | undefined>(workers).fill(undefined);
  }

  decode(bytes: Buffer, bounds: ChangeBounds): Promise<FirehoseBodyResult> {
    if (this.closed) return Promise.reject(new Error('the decoding workers are closed'));
    const slot = this.leastBusy();
    const entry = (this.pool[slot] ??= this.spawn(slot));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      entry.jobs.set(id, { resolve, reject });
      // Copied, not transferred: the caller's buffer may share its memory with others (Buffer's pool).
      entry.worker.postMessage({ id, bytes, bounds });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.pool.map((entry) => entry?.worker.terminate()));
  }

  private leastBusy(): number {
    let best = 0;
    for (let i = 1; i < this.pool.length; i++) if ((this.pool[i]?.jobs.size ?? 0) < (this.pool[best]?.jobs.size ?? 0)) best = i;
    return best;
  }

  private spawn(slot: number): PoolWorker {
    const worker = startWorker();
    worker.unref(); // idle workers never keep the process alive
    const entry: PoolWorker = { worker, jobs: new Map() };
    worker.on('message', (message: { id: number; result?: FirehoseBodyResult; error?: string }) => {
      const job = entry.jobs.get(message.id);
      entry.jobs.delete(message.id);
      if (message.result) job?.resolve(message.result);
      else job?.reject(new Error(`decoding worker: ${message.error}`));
    });
    const fail = (error: Error) => {
      if (this.pool[slot] === entry) this.pool[slot] = undefined;
      for (const job of entry.jobs.values()) job.reject(error);
      entry.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`decoding worker exited (code ${code})`)));
    return entry;
  }
}
