import { defineConfig } from 'vitest/config';

/**
 * Three projects (`vitest run --project unit|unit-wasm|e2e`; plain `vitest run` runs all, in that order):
 * - `unit`: the `*.test.ts` files beside the code in `src/`, one fork per file, files in parallel.
 *   A unit test that listens binds port 0 (the kernel picks a free port), so files never collide.
 * - `unit-wasm`: the Wasm runtime's own unit files, one at a time, after `unit`. They run real guests
 *   under request deadlines (1.5–10 s) on executor threads that each want a core; run beside other
 *   files on a 2-core machine their guests miss those deadlines (a CI run showed 10 such timeouts),
 *   which would test the machine, not the code.
 * - `e2e`: the cross-process tests in `test/`, which start real hubs and nodes on fixed loopback
 *   addresses: one file at a time, and only once the unit projects have finished (`groupOrder`), so
 *   they never fight unit files over the 2 cores of a CI machine either.
 */
const WASM_UNITS = 'src/runtime-wasm/**/*.test.ts';

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
          exclude: [WASM_UNITS],
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
          name: 'unit-wasm',
          include: [WASM_UNITS],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
