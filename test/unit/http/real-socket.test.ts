import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { appWith } from '../../support/app-with.js';
import { close, listen } from '../../support/listen.js';
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
