import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SqlExecutor } from '../postgres/sql-executor.js';
import { EmbeddedDatabaseError, lockDataDir, type LockOptions } from './data-dir-lock.js';
import { serveWireProtocol, type WireServer, type WireServerOptions } from './wire-server.js';

export interface PgliteOptions extends LockOptions {
  /** Also serve the database over the PostgreSQL wire protocol (EMBEDDED_SQL_PORT). */
  readonly serveSql?: WireServerOptions & { readonly onListening?: (server: WireServer) => void };
}

/**
 * The embedded default: PostgreSQL compiled to WebAssembly, in this process, with its data in
 * `dataDir` (or in memory when `dataDir` is `memory://`). The folder is locked for this process
 * before PGlite touches it (data-dir-lock.ts), and released once the database is closed.
 */
export async function pgliteExecutor(dataDir: string, options: PgliteOptions = {}): Promise<SqlExecutor> {
  if (dataDir.startsWith('memory://')) return withWireServer(await PGlite.create(dataDir), () => undefined, options);
  mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir, options);
  let db: PGlite;
  try {
    db = await PGlite.create(dataDir);
  } catch (error) {
    lock.release();
    throw new EmbeddedDatabaseError('PGLITE_DIR_UNOPENABLE', unopenableMessage(dataDir, error), { cause: error });
  }
  return withWireServer(db, () => lock.release(), options);
}

async function withWireServer(db: PGlite, release: () => void, options: PgliteOptions): Promise<SqlExecutor> {
  if (options.serveSql === undefined) return executor(db, null, release);
  let server: WireServer;
  try {
    server = await serveWireProtocol(db, options.serveSql);
  } catch (error) {
    await db.close().finally(release);
    throw error;
  }
  options.serveSql.onListening?.(server);
  return executor(db, server, release);
}

function executor(db: PGlite, server: WireServer | null, release: () => void): SqlExecutor {
  return {
    async query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
      const result = await db.query<Row>(text, params as unknown[] | undefined);
      return result.rows;
    },
    async close() {
      try {
        await server?.close();
        await db.close();
      } finally {
        release();
      }
    },
  };
}

// PGlite fails on a damaged folder with a WebAssembly abort (`RuntimeError: Aborted()`) or a bare
// "failed to initialize": say which folder, and what to do.
function unopenableMessage(dataDir: string, error: unknown): string {
  const detail =
    error instanceof Error
      ? error.message
          .split('\n')[0]!
          .replace(/\s*Build with -sASSERTIONS.*$/, '')
          .slice(0, 200)
      : String(error);
  return (
    `cannot open the embedded database in PGLITE_DIR ${resolve(dataDir)} (PGlite: ${detail}): the folder is damaged ` +
    '(for example by a process killed while creating it) or is not a PGlite database. Move it aside and start again ' +
    'to create a new one, restore it from a backup, or point PGLITE_DIR at another folder.'
  );
}
