import { defineConfig } from 'vitest/config';

// `npm test`: two projects in one run, two files at a time on two cores.
export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      {
        // The pure tests (`npm run test:unit` runs these alone): threads sharing loaded modules,
        // since a fresh process per file cost them three times their own CPU.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads', isolate: false, testTimeout: 60_000 },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'infra/test/**/*.test.ts'],
          isolate: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // In-memory embedded databases start from one dump of a fresh database instead of initdb each.
          // The services and commands the tests start as processes run from one compiled copy of src/.
          globalSetup: ['test/support/pglite-template.global.ts', 'test/support/service-build.global.ts'],
          setupFiles: ['test/support/pglite-template.setup.ts'],
        },
      },
    ],
  },
});
