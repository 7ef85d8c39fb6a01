import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's compiled copy of `src/` (service-build.global.ts), for the processes the tests start. */
    serviceBuild: string;
  }
}

const root = new URL('../../', import.meta.url).pathname;

/**
 * Once per run: `src/` compiled to JavaScript, file by file, as `npm run build` lays it out, for
 * the services and commands the tests start as processes. Started from TypeScript through tsx,
 * each start costs about five times the CPU, and the suites start over a hundred. The folder sits
 * beside `src/` (so `../../openapi.yaml` and `node_modules` resolve as from `dist/`), one per run,
 * since two runs may share a checkout.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const out = await mkdtemp(`${root}.test-build-`);
  const sources = readdirSync(`${root}src`, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => `${root}src/${file}`);
  await build({ entryPoints: sources, outdir: out, outbase: `${root}src`, format: 'esm', platform: 'node', target: 'es2022', logLevel: 'warning' });
  project.provide('serviceBuild', out);
  return () => rm(out, { recursive: true, force: true });
}
