import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';

/** Starts the app on 127.0.0.1, on a free port. */
export function listen(app: { fetch: Parameters<typeof serve>[0]['fetch'] }): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

export function close(server: ServerType | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server) return resolve();
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    server.close((error) => (error ? reject(error) : resolve()));
  });
}

/** Resolves once `condition` holds, polling; rejects after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An emulator's HTTP server (dynalite, kinesalite) on a free loopback port, with an SDK client for it. */
export async function serveEmulator<C extends { destroy(): void }>(
  server: import('node:http').Server,
  clientFor: (endpoint: string) => C,
): Promise<{ endpoint: string; client: C; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = clientFor(endpoint);
  return {
    endpoint,
    client,
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
