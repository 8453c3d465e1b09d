/**
 * Isolation benchmark (prints figures; not a test): how much an endless-loop request in one pod
 * moves another pod's latency. A real hub and edge-node (request deadline raised so the loop spins
 * through the whole run); `hello-c` (the victim, 2 replicas) under autocannon load through its
 * NodePort, first alone, then with one `/loop` request to `misbehave` (the looper, 1 replica)
 * fired at the start of the run, then again after the looper's pod was isolated (its second loop,
 * on an executor of its own).
 *
 * Run: npm run build && npm run build:examples && npx tsx bench/wasm-isolation.ts [--seconds 10] [--connections 10]
 */
import { Cluster, WASM, applyAndWait, arg, deployment, fmt, load, runBench, type LoadResult } from './wasm-support.js';

const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 10);
const NODE = '127.0.33.2';
const VICTIM = `http://${NODE}:30185/`;
const LOOPER = `http://${NODE}:30186/loop`;

/** Loads the victim while one endless loop spins in the looper; returns the victim's figures. */
async function withLoop(): Promise<{ victim: LoadResult; loopStatus: number }> {
  const loop = fetch(LOOPER, { signal: AbortSignal.timeout(120_000) }).then(
    (r) => r.status,
    () => 0,
  );
  await new Promise((r) => setTimeout(r, 200)); // the guest is spinning
  const victim = await load(VICTIM, CONNECTIONS, SECONDS);
  return { victim, loopStatus: await loop };
}

async function main(): Promise<void> {
  console.log(
    `edgeplane wasm isolation benchmark — node ${process.version}, ${CONNECTIONS} connections, ${SECONDS}s per run`,
  );
  // The loop must outlive the measurement: deadline = run + margin.
  const cluster = new Cluster([], ['--request-timeout', `${SECONDS + 3}s`]);
  try {
    await cluster.start([{ name: 'iso-1', address: NODE }]);
    await applyAndWait(cluster, deployment('victim', WASM.helloC, 2, 30185), 'victim', 2);
    await applyAndWait(cluster, deployment('looper', WASM.misbehave, 1, 30186), 'looper', 1);
    await load(VICTIM, CONNECTIONS, 2); // warm-up
    const alone = await load(VICTIM, CONNECTIONS, SECONDS);
    console.log(`victim alone:                                   ${fmt(alone)}`);
    const first = await withLoop();
    console.log(
      `victim beside a first endless loop (shared):     ${fmt(first.victim)}   (loop answered ${first.loopStatus})`,
    );
    await applyAndWait(cluster, deployment('looper', WASM.misbehave, 1, 30186), 'looper', 1); // restarted
    await new Promise((r) => setTimeout(r, 3000));
    const second = await withLoop();
    console.log(
      `victim beside a second loop (looper isolated):  ${fmt(second.victim)}   (loop answered ${second.loopStatus})`,
    );
    const ratio = (r: LoadResult) => (r.p99 / alone.p99).toFixed(2);
    console.log(
      `victim p99 moved ×${ratio(first.victim)} by the first loop, ×${ratio(second.victim)} by the second (goal ≤ ×2)`,
    );
  } finally {
    await cluster.stop();
  }
}

runBench(main);
