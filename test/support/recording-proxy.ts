import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { AnswerHooks } from './answer-hooks.js';
import type { StandInRequest } from './cratedb-stand-in.js';

export interface RecordingProxy {
  /** `http://127.0.0.1:port`: send CrateDB's `/_sql` requests here instead. */
  readonly url: string;
  /** Every request passed on, as the stand-in records them. */
  readonly requests: StandInRequest[];
  /** Actions run after CrateDB has answered and before the answer is passed on. */
  readonly afterAnswer: AnswerHooks;
  close(): Promise<void>;
}

/**
 * Passes HTTP requests on to a real CrateDB unchanged and records each statement, so that tests
 * can count what the sink sends to CrateDB itself as they do with the stand-in.
 */
export async function startRecordingProxy(origin: string): Promise<RecordingProxy> {
  const requests: StandInRequest[] = [];
  const afterAnswer = new AnswerHooks();
  const upstream = new Pool(origin, { connections: 16 });
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    let request: StandInRequest | undefined;
    try {
      const { stmt, bulk_args } = JSON.parse(body.toString('utf8')) as { stmt: string; bulk_args?: unknown[] };
      request = { stmt, bulk: bulk_args !== undefined, rows: bulk_args?.length ?? 1 };
      requests.push(request);
    } catch {
      // Not a statement: passed on all the same, CrateDB answers it.
    }
    try {
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type', 'default-schema']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const answer = await upstream.request({ path: req.url ?? '/', method: (req.method ?? 'POST') as 'POST', headers, body });
      const answered = Buffer.from(await answer.body.arrayBuffer());
      if (request) await afterAnswer.run(request);
      const contentType = answer.headers['content-type'];
      res.writeHead(answer.statusCode, typeof contentType === 'string' ? { 'content-type': contentType } : {});
      res.end(answered);
    } catch {
      req.socket.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    afterAnswer,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await upstream.close();
    },
  };
}
