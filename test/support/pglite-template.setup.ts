import { readFileSync } from 'node:fs';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { inject } from 'vitest';

/**
 * Every in-memory embedded database a test opens (the harness's, the CrateDB stand-in's, the
 * service's `memory://`) starts from the run's dump of a fresh one (pglite-template.global.ts)
 * instead of running initdb again: the same database, a quarter of the CPU. Databases in folders
 * start as the service starts them.
 */
const PATCHED = Symbol.for('cdc-sink.pglite-template');
const create = PGlite.create.bind(PGlite) as (...args: unknown[]) => Promise<PGlite>;
let template: Blob | undefined;

// Files share a worker's modules (vitest.config.ts): this runs before each, and patches once.
if (!(PATCHED in PGlite)) patch();

function patch(): void {
  Object.defineProperty(PGlite, PATCHED, { value: true });
  PGlite.create = ((dataDirOrOptions?: string | PGliteOptions, maybeOptions?: PGliteOptions) => {
    const options = (typeof dataDirOrOptions === 'object' ? dataDirOrOptions : maybeOptions) ?? {};
    const dataDir = typeof dataDirOrOptions === 'string' ? dataDirOrOptions : options.dataDir;
    const inMemory = dataDir === undefined || dataDir.startsWith('memory://');
    if (!inMemory || options.loadDataDir !== undefined) return create(dataDirOrOptions, maybeOptions);
    template ??= new Blob([readFileSync(inject('pgliteTemplate'))]);
    const { dataDir: _memory, ...rest } = options;
    return create({ ...rest, loadDataDir: template });
  }) as typeof PGlite.create;
}
