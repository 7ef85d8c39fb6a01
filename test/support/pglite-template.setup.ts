import { readFileSync } from 'node:fs';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { inject } from 'vitest';

/**
 * Every in-memory embedded database a test opens (the harness's, the CrateDB stand-in's, the
 * service's `memory://`) is a fresh one without an initdb of its own: one closed earlier in this
 * worker, emptied back to a fresh database's state (reset below), or else one loaded from the
 * run's dump of a fresh one (pglite-template.global.ts). Starting a database costs about a CPU-second
 * even from the dump, and the suites open about a hundred; emptying one costs milliseconds.
 * Databases in folders start as the service starts them.
 */
const PATCHED = Symbol.for('cdc-sink.pglite-template');
const create = PGlite.create.bind(PGlite) as (...args: unknown[]) => Promise<PGlite>;
let template: Blob | undefined;

// Files share a worker's modules (vitest.config.ts): this runs before each, and patches once.
if (!(PATCHED in PGlite)) patch();

function patch(): void {
  Object.defineProperty(PGlite, PATCHED, { value: true });
  const idle: PGlite[] = [];
  PGlite.create = (async (dataDirOrOptions?: string | PGliteOptions, maybeOptions?: PGliteOptions) => {
    const options = (typeof dataDirOrOptions === 'object' ? dataDirOrOptions : maybeOptions) ?? {};
    const dataDir = typeof dataDirOrOptions === 'string' ? dataDirOrOptions : options.dataDir;
    const inMemory = dataDir === undefined || dataDir.startsWith('memory://');
    if (!inMemory || options.loadDataDir !== undefined) return create(dataDirOrOptions, maybeOptions);
    const { dataDir: _memory, ...rest } = options;
    // Only a database opened without options is shared: extensions or settings would outlive it.
    if (Object.keys(rest).length > 0) return create({ ...rest, loadDataDir: templateBlob() });
    return lease(idle.pop() ?? (await create({ loadDataDir: templateBlob() })), idle);
  }) as typeof PGlite.create;
}

function templateBlob(): Blob {
  template ??= new Blob([readFileSync(inject('pgliteTemplate'))]);
  return template;
}

/**
 * The database as its opener sees it: until it calls close(), the database itself; then closed
 * to it (every method rejects, as PGlite's own do once closed), while the database, reset, waits
 * in `idle` for the next opener.
 */
function lease(db: PGlite, idle: PGlite[]): PGlite {
  let closed = false;
  const refuse = () => Promise.reject(new Error('PGlite is closed'));
  return new Proxy(db, {
    get(target, key) {
      if (key === 'closed') return closed;
      if (key === 'close') {
        return async () => {
          if (closed) return;
          closed = true;
          if (await reset(target)) idle.push(target);
          else await target.close();
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      return closed ? refuse : (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
}

/**
 * Back to a fresh database's state: no transaction, no session state (settings, prepared
 * statements, temporary tables, listeners: DISCARD ALL), no schema but the system's and an empty
 * `public` as initdb makes it. False when it cannot be (the database is then closed for good).
 */
async function reset(db: PGlite): Promise<boolean> {
  if (db.closed) return false;
  try {
    // Each alone: a multi-statement string is one transaction, which DISCARD ALL refuses.
    await db.exec('ROLLBACK');
    await db.exec('DISCARD ALL');
    await db.exec(`DO $$
DECLARE s name;
BEGIN
  FOR s IN SELECT nspname FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
  LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
  END LOOP;
END $$;
CREATE SCHEMA public AUTHORIZATION pg_database_owner;
GRANT USAGE ON SCHEMA public TO PUBLIC;
COMMENT ON SCHEMA public IS 'standard public schema';`);
    return true;
  } catch {
    return false;
  }
}
