import { defineConfig } from 'vitest/config';

/**
 * Four projects (`vitest run --project unit|unit-wasm|e2e|e2e-serial`; plain `vitest run` runs all, in that order):
 * - `unit`: the `*.test.ts` files beside the code in `src/`, files in parallel on one fork per core.
 *   A unit test that listens binds port 0 (the kernel picks a free port), so files never collide.
 *   Not isolated (`isolate: false`): a fork runs file after file and keeps the modules it has
 *   loaded, instead of a new fork loading the whole graph again per file (most of this project's
 *   wall time was that import). So a unit file must leave the process as it found it: timers real
 *   again (`vi.useRealTimers` in `afterEach`), listeners it added on `process` removed, no
 *   `process.env` writes, no `vi.mock`; the lane passes in shuffled file orders
 *   (`--sequence.shuffle.files`).
 * - `unit-wasm`: the Wasm runtime's own unit files, one at a time, after `unit`. They run real guests
 *   under request deadlines (1.5–10 s) on executor threads that each want a core; run beside other
 *   files on a 2-core machine their guests miss those deadlines (a CI run showed 10 such timeouts),
 *   which would test the machine, not the code.
 * - `e2e`: the cross-process tests in `test/`, which start real hubs and nodes, only once the unit
 *   projects have finished (`groupOrder`), so they never fight unit files over the 2 cores of a CI
 *   machine. Two files at a time: an e2e file spends most of its time waiting (heartbeats, grace
 *   periods, probe periods, processes starting), not computing. They can share the machine because
 *   each file owns its loopback addresses (127.0.N.x, a range no other file uses: see
 *   `test/support/cluster.ts`), its pod subnets and bridge names, and takes its other ports from the
 *   kernel (`freePort`).
 * - `e2e-serial`: the e2e files whose assertions are about timing on a real node — probe periods and
 *   liveness kills, a looping guest beside serving pods, zero failed requests through rollouts, load
 *   and certificate rotations, node certificates that live 9 s, load-driven autoscaling — run alone
 *   after the others, so a neighbour's CPU burst cannot fail them. (Run two at a time on a loaded
 *   machine, these were the ones that failed; the others passed.) The three files that start their own
 *   podman and dockerd (oci-engine, oci-mounts, oci-security) run here too: two of them side by side
 *   took 2–4× as long each (podman's exec and container set-up contend for the same cores and locks)
 *   and CI runs failed them on timeouts and races (a podman exec session gone before its exit code was
 *   read; a Wasm Service call overrunning its deadline), for almost no time saved.
 */
const WASM_UNITS = 'src/runtime-wasm/**/*.test.ts';
const SERIAL_E2E = [
  'test/probes.test.ts',
  'test/probes-restarts.test.ts',
  'test/rollouts.test.ts',
  'test/mesh-rotation.test.ts',
  'test/self-healing.test.ts',
  'test/hpa.test.ts',
  'test/foundation.test.ts',
  'test/mesh.test.ts',
  'test/node-pki.test.ts',
  'test/oci-engine.test.ts',
  'test/oci-mounts.test.ts',
  'test/oci-security.test.ts',
];

/** `.cache/vitest-report.json`, or `.cache/vitest-report-<name>.json` with EDGEPLANE_VITEST_REPORT=<name>. */
function reportFile(): string {
  const name = process.env.EDGEPLANE_VITEST_REPORT ?? '';
  if (name !== '' && !/^[a-z0-9-]+$/.test(name))
    throw new Error(`EDGEPLANE_VITEST_REPORT: "${name}" is not a report name (lower-case letters, digits, '-')`);
  return name === '' ? '.cache/vitest-report.json' : `.cache/vitest-report-${name}.json`;
}

export default defineConfig({
  test: {
    // Under CI, also a JSON report (per file and test: durations) in .cache/, to find where the suite's
    // time goes from a real CI run rather than from a loaded development machine. Named per run
    // (EDGEPLANE_VITEST_REPORT, e.g. `node24` → vitest-report-node24.json) so a second run in the same
    // checkout does not overwrite the first; `.ci/run` prints the main run's slowest files from it.
    reporters: process.env.CI ? ['default', ['json', { outputFile: reportFile() }]] : ['default'],
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
          isolate: false,
          // One fork per core (vitest's default is cores - 1: a single fork on a 2-core CI machine).
          // Many unit files wait on sockets, child processes and worker threads rather than compute.
          maxWorkers: '100%',
          // Cached objects are frozen (src/hub/cache/mutation-detector.ts): a change to a shared one throws.
          env: { EDGEPLANE_CACHE_MUTATION_DETECTOR: '1' },
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
          exclude: SERIAL_E2E,
          fileParallelism: true,
          maxWorkers: 2,
          // The hubs the tests start inherit it: their watch caches freeze what they hold, so a change
          // to a shared cached object throws in the hub (the cache shares parts between versions and
          // hands its objects to every reader). The hub's fan-out and controllers catch the TypeError, so
          // a test sees it as an error in the hub's log and, where its path is asserted, a missed event
          // or a timeout, rather than as a pointed failure.
          env: { EDGEPLANE_CACHE_MUTATION_DETECTOR: '1' },
          sequence: { groupOrder: 2 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e-serial',
          include: SERIAL_E2E,
          fileParallelism: false,
          env: { EDGEPLANE_CACHE_MUTATION_DETECTOR: '1' },
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
