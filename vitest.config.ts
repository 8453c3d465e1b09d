import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Cross-process tests start real hubs and nodes on loopback ports; keep them from
    // fighting over the 2 cores of a CI machine.
    fileParallelism: false,
    pool: 'forks',
  },
});
