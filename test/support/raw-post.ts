import { request } from 'node:http';

export interface RawAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  /** From the start of the request to the end of the answer. */
  readonly ms: number;
}

export interface OpenPost {
  /** Sends part of the body; resolves once it is handed to the socket. */
  write(part: Buffer): Promise<void>;
  end(): void;
  /** The answer, or the socket error if the connection ended without one. */
  readonly answer: Promise<RawAnswer | { error: string }>;
}

/**
 * A POST over node:http whose body the test sends when it likes: in parts, slowly, or never
 * finished (a client that stalls). Headers go out at once.
 */
export function openPost(port: number, path: string, headers: Record<string, string>): OpenPost {
  const started = performance.now();
  const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers });
  const answer = new Promise<RawAnswer | { error: string }>((resolve) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()), ms: performance.now() - started });
        req.destroy();
      });
      res.on('error', (error) => resolve({ error: error.message }));
    });
    // The server may answer and stop reading before the body is all sent: the answer still counts.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') resolve({ error: `${error.code ?? ''} ${error.message}` });
    });
  });
  req.flushHeaders();
  return {
    write: (part) => new Promise((resolve) => (req.destroyed ? resolve() : req.write(part, () => resolve()))),
    end: () => req.end(),
    answer,
  };
}

/** Sends `parts` one after another, then ends the request unless `hold`; resolves with the answer. */
export async function rawPost(port: number, path: string, parts: Buffer[], headers: Record<string, string>, hold = false): Promise<RawAnswer> {
  const post = openPost(port, path, headers);
  void (async () => {
    for (const part of parts) await post.write(part);
    if (!hold) post.end();
  })();
  const answer = await post.answer;
  if ('error' in answer) throw new Error(`no answer: ${answer.error}`);
  return answer;
}
