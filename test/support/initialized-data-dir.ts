import { cpSync } from 'node:fs';
import { inject } from 'vitest';

/**
 * Makes `dir` a PGLITE_DIR that already holds a freshly initialized, closed embedded database (the
 * run's copy, pglite-template.global.ts), and returns it: a service started on it opens it as on
 * any restart, without the initdb of a first start (most of the CPU of starting). For tests that
 * are not about a first start.
 */
export function initializedDataDir(dir: string): string {
  cpSync(inject('pgliteFolder'), dir, { recursive: true });
  return dir;
}
