import { defineConfig } from 'vitest/config';

/**
 * Two projects (`vitest run --project unit|e2e`; plain `vitest run` runs both):
 * - `unit`: the `*.test.ts` files beside the code in `src/`, one fork per file, files in parallel.
 *   A unit test that listens binds port 0 (the kernel picks a free port), so files never collide.
 * - `e2e`: the cross-process tests in `test/`, which start real hubs and nodes on fixed loopback
 *   addresses: one file at a time, and only once `unit` has finished (`groupOrder`), so they never
 *   fight unit files over the 2 cores of a CI machine either.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          fileParallelism: true,
          // One fork per core (vitest's default is cores - 1: a single fork on a 2-core CI machine).
          // Many unit files wait on sockets, child processes and worker threads rather than compute.
          maxWorkers: '100%',
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
