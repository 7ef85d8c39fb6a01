import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { SqlExecutor } from '../postgres/sql-executor.js';

/**
 * The embedded default: PostgreSQL compiled to WebAssembly, in this process, with its data in
 * `dataDir` (or in memory when `dataDir` is `memory://`).
 */
export async function pgliteExecutor(dataDir: string): Promise<SqlExecutor> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  return {
    async query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
      const result = await db.query<Row>(text, params as unknown[] | undefined);
      return result.rows;
    },
    close: () => db.close(),
  };
}
