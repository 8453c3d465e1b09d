/**
 * Density benchmark (prints figures; not a test): the edge-node agent's resident memory with many
 * Wasm pods on one node. A real hub and edge-node (`--max-pods` raised); the agent's RSS is read
 * from /proc before any pod and once all pods are Ready, and once more after a request to each pod
 * through the NodePort (instances touched).
 *
 * Run: npm run build && npm run build:examples && npx tsx bench/wasm-density.ts [--c-pods 1000] [--js-pods 100]
 */
import { Cluster, WASM, applyAndWait, arg, deployment, rssBytes, runBench } from './wasm-support.js';

const C_PODS = arg('c-pods', 1000);
const JS_PODS = arg('js-pods', 100);
const MB = 1024 * 1024;

async function measure(app: string, wasm: string, pods: number, nodePort: number): Promise<void> {
  const cluster = new Cluster([], ['--max-pods', String(pods + 10)]);
  try {
    await cluster.start([{ name: 'dense-1', address: '127.0.32.2' }]);
    const pid = cluster.node('dense-1').proc.child.pid!;
    await new Promise((r) => setTimeout(r, 2000));
    const before = rssBytes(pid);
    const t0 = performance.now();
    await applyAndWait(cluster, deployment(app, wasm, pods, nodePort), app, pods, 1_800_000);
    const seconds = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 3000));
    const ready = rssBytes(pid);
    // Round-robin: `pods` requests reach every pod once.
    for (let i = 0; i < pods; i++) {
      const res = await fetch(`http://127.0.32.2:${nodePort}/`);
      if (res.status !== 200) throw new Error(`request ${i}: ${res.status}`);
      await res.arrayBuffer();
    }
    const served = rssBytes(pid);
    const perPod = (rss: number) => ((rss - before) / pods / MB).toFixed(2);
    console.log(
      `${app}: ${pods} pods Ready in ${seconds.toFixed(1)} s; agent RSS ${(before / MB).toFixed(0)} MB with no pod → ` +
        `${(ready / MB).toFixed(0)} MB Ready (${perPod(ready)} MB/pod) → ${(served / MB).toFixed(0)} MB after one request each (${perPod(served)} MB/pod)`,
    );
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  console.log(`edgeplane wasm density benchmark — node ${process.version}, one node`);
  await measure('hello-c', WASM.helloC, C_PODS, 30183);
  await measure('hello', WASM.hello, JS_PODS, 30184);
}

runBench(main);
