import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'infra/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files each start an embedded database; two at a time fit two cores.
    maxWorkers: 2,
    // In-memory embedded databases start from one dump of a fresh database instead of initdb each.
    // The services and commands the tests start as processes run from one compiled copy of src/.
    globalSetup: ['test/support/pglite-template.global.ts', 'test/support/service-build.global.ts'],
    setupFiles: ['test/support/pglite-template.setup.ts'],
  },
});
