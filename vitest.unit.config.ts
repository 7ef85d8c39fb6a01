import { defineConfig } from 'vitest/config';

// `npm run test:unit`: the pure tests, in threads without isolation; no database, so none of the
// integration tiers' setup (vitest.config.ts).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    pool: 'threads',
    isolate: false,
    testTimeout: 60_000,
  },
});
