/**
 * The agent memory benchmark's settings, read from its command line once (see `bench/agent-memory.ts`
 * for the flags), and the unit its figures are printed in.
 */

/** Bytes in a MB, the unit of every figure printed. */
export const MB = 1024 * 1024;
/** `--name value` from the command line, else `dflt`. */
const flag = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
/** The agents' loopback address (`--address`, for runs beside other benchmarks). */
export const ADDRESS = flag('address', '127.0.62.2');
/** The pod counts the first agent is scaled through, in order (`--pods 10,50`). */
export const POD_COUNTS = flag('pods', '10,50').split(',').map(Number);
/** The small-device run's memory cgroup limit (`--cgroup-mb`; 0: no cgroup run). */
export const CGROUP_MB = Number(flag('cgroup-mb', '256'));
/** How long a stage lets the agent settle before it is read (`--settle-ms`). */
export const SETTLE_MS = Number(flag('settle-ms', '5000'));
/** The V8 flags README "Running on small devices" recommends (on node's command line, before the script). */
export const SMALL_DEVICE_FLAGS = flag(
  'v8-flags',
  '--max-old-space-size=96 --max-semi-space-size=1 --optimize-for-size',
);
/** Environment of the small-device run: fewer glibc malloc arenas (each thread would get its own). */
export const SMALL_DEVICE_ENV = flag('env', 'MALLOC_ARENA_MAX=2');
/**
 * Fresh idle agents, one per entry: `<node flags>|<VAR=value ...>` (`;`-separated; the first
 * without flags).
 */
export const IDLE_FLAGS = [
  '',
  ...flag('idle-flags', `${'--max-semi-space-size=1 --optimize-for-size'}|MALLOC_ARENA_MAX=2`).split(';'),
];
/**
 * Agent flags of the small-device run: the cgroup's 256 MB would give a Wasm budget of 128 MiB, one
 * pod at the default 128 MiB linear-memory limit; `hello-c` needs a few pages.
 */
export const SMALL_DEVICE_ARGS = ['--wasm-default-memory-limit', '2Mi'];
/** Environment of the first agent (idle → pods → none), e.g. `MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072`. */
export const MAIN_ENV = flag('main-env', '');
/**
 * `main`: only the first agent's stages (idle → pods → none); `idle`: the fresh and restarted idle agents
 * and the cgroup run; `all` (default): both.
 */
export const PARTS = flag('parts', 'all');
