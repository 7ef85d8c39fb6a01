import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A fresh embedded database's data folder as a tar file (pglite-template.setup.ts). */
    pgliteTemplate: string;
    /** A fresh embedded database in a folder, closed (initialized-data-dir.ts). */
    pgliteFolder: string;
  }
}

/**
 * Once per run: a freshly initialized embedded database, dumped. PGlite runs initdb for each new
 * database (about 3.5 CPU-seconds); one loaded from this dump starts in under one, and the suites
 * create hundreds. And once, the same in a folder, for the services the tests start on a
 * database that need not be their first.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'pglite-template-'));
  // One initdb for both: the folder's database, dumped.
  const folder = join(dir, 'fresh');
  const db = await PGlite.create(folder);
  const file = join(dir, 'fresh.tar');
  await writeFile(file, new Uint8Array(await (await db.dumpDataDir('none')).arrayBuffer()));
  await db.close();
  project.provide('pgliteTemplate', file);
  project.provide('pgliteFolder', folder);
  return () => rm(dir, { recursive: true, force: true });
}
