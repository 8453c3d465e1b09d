/**
 * Metrics cost benchmark (prints figures; not a test): what the node's metrics take of a core, and
 * how big its `usage` frames are. In one process, with the node's real parts: a WasmRuntime running
 * `hello-c` pods (their `containerUsage` from the executors), the mesh's RequestAccounting, the
 * UsageSampler, the frame cutter and encoder, and the Prometheus registry.
 *
 * - per request: the accounting a delivered request costs (pod and Service counters, histogram);
 * - per interval, idle: one usage sample of every pod, its frames encoded, and one Prometheus
 *   scrape — as a share of one core at the default 5 s interval;
 * - per interval, busy: the same while the pods serve requests (in-process, through the runtime);
 * - frame bytes per node per interval, at the real pods and at 110 pods (the kubelet's default max;
 *   the extra pods carry the same figures as the real ones).
 *
 * Run: npm run build:examples && npx tsx bench/metrics-cost.ts [--pods 10] [--ticks 20]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { encodeFrame, hubImageRef } from '../src/api/index.js';
import type { ContainerConfig } from '../src/api/index.js';
import { UsageSampler, usageFrames, type MeteredWorkerPod } from '../src/edge-node/metrics/index.js';
import { nodeRegistry } from '../src/edge-node/metrics/prometheus/node-registry.js';
import { RequestAccounting } from '../src/edge-node/mesh/index.js';
import { WasmRuntime } from '../src/runtime-wasm/index.js';
import { ROOT, arg } from './wasm-support.js';

const PODS = arg('pods', 10);
const TICKS = arg('ticks', 20);
const INTERVAL_S = 5;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function main(): Promise<void> {
  console.log(`edgeplane metrics cost — node ${process.version}, ${PODS} hello-c pods, ${TICKS} ticks per figure`);
  const dir = mkdtempSync(join(tmpdir(), 'edgeplane-metrics-bench-'));
  const bytes = readFileSync(join(ROOT, 'examples/wasm-apps/hello-c/dist/hello-c.wasm'));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const runtime = await WasmRuntime.create({
    dataDir: join(dir, 'wasm'),
    logger: pino({ level: 'silent' }),
    fetchBlob: () => Promise.resolve(bytes),
  });
  try {
    const image = await runtime.pullImage(hubImageRef('hello-c.wasm', digest));
    const pods: MeteredWorkerPod[] = [];
    for (let i = 0; i < PODS; i++) {
      const config: ContainerConfig = {
        id: `c${i}`,
        pod: { namespace: 'bench', name: `hello-${i}`, uid: `uid-${i}` },
        name: 'app',
        image,
        command: [],
        args: [],
        env: {},
        ports: [8080],
        limits: {},
        logPath: join(dir, 'logs', `c${i}.log`),
      };
      await runtime.createContainer(config);
      await runtime.startContainer(config.id);
      pods.push({
        ref: config.pod,
        containers: () => [{ name: 'app', runtime, id: config.id }],
        restarts: () => [{ container: 'app', count: 0 }],
      });
    }
    const requests = new RequestAccounting();
    const sampler = new UsageSampler({ pods: () => pods, requests: (ns, n) => requests.pod(ns, n), logger: pino({ level: 'silent' }) }); // prettier-ignore
    const registry = nodeRegistry({ requests, pods: () => pods, latest: () => sampler.latest, wasm: runtime });

    // Per request: what the mesh adds to each delivery.
    const N = 2_000_000;
    const names = pods.map((p) => p.ref.name);
    let t = performance.now();
    for (let i = 0; i < N; i++) {
      requests.podRequest('bench', names[i % PODS]!, i % 50 === 0 ? 503 : 200, (i % 97) + 0.5);
      requests.serviceRequest('bench', 'hello', 200, (i % 97) + 0.5);
    }
    const perRequestNs = ((performance.now() - t) * 1e6) / N;
    console.log(`accounting per delivered request (pod + Service):  ${perRequestNs.toFixed(0)} ns`);

    /**
     * CPU ms of one interval's work: a sample, its frames encoded, one Prometheus scrape. While pods
     * are busy this includes whatever else the process ran during the sample's awaits (an upper bound).
     */
    const tick = async (): Promise<{ cpu: number; frameBytes: number; scrapeBytes: number }> => {
      const before = cpuMs();
      const w = await sampler.sample();
      const frameBytes = w ? usageFrames(w).reduce((n, f) => n + encodeFrame(f).length, 0) : 0;
      const scrapeBytes = Buffer.byteLength(await registry.metrics());
      return { cpu: cpuMs() - before, frameBytes, scrapeBytes };
    };
    const measure = async (label: string): Promise<void> => {
      await tick(); // baseline window
      const runs: Array<Awaited<ReturnType<typeof tick>>> = [];
      for (let i = 0; i < TICKS; i++) {
        await new Promise((r) => setTimeout(r, 50));
        runs.push(await tick());
      }
      const cpu = runs.map((r) => r.cpu).sort((a, b) => a - b);
      const median = cpu[Math.floor(cpu.length / 2)]!;
      const share = (median / (INTERVAL_S * 1000)) * 100;
      console.log(
        `${label.padEnd(50)} ${median.toFixed(2)} ms CPU per interval (median), ${share.toFixed(3)}% of a core at ${INTERVAL_S}s; frames ${runs.at(-1)!.frameBytes} B, scrape ${runs.at(-1)!.scrapeBytes} B`,
      );
    };
    await measure(`idle, ${PODS} pods:`);

    // Busy: every pod serving requests in-process while the ticks run.
    let stop = false;
    let served = 0;
    const drive = async (id: string): Promise<void> => {
      const ep = runtime.endpoint(id, 8080);
      if (ep.kind !== 'in-process') return;
      while (!stop) {
        const req = { method: 'GET', path: '/', authority: 'h', scheme: 'http' as const, headers: [], body: new Uint8Array() }; // prettier-ignore
        const started = performance.now();
        const res = await ep.handle(req);
        requests.podRequest('bench', `hello-${id.slice(1)}`, res.status, performance.now() - started);
        served++;
      }
    };
    const drivers = pods.map((_, i) => drive(`c${i}`));
    t = performance.now();
    await measure(`busy, ${PODS} pods serving:`);
    const rps = served / ((performance.now() - t) / 1000);
    stop = true;
    await Promise.all(drivers);
    console.log(`  (busy: ${rps.toFixed(0)} requests/s in-process; accounting at ${perRequestNs.toFixed(0)} ns each = ${((rps * perRequestNs) / 1e7).toFixed(3)}% of a core)`); // prettier-ignore

    // Frame size at 110 pods: the real pods' figures repeated under other names.
    const w = sampler.latest!;
    const many = Array.from({ length: 110 }, (_, i) => ({ ...w.pods[i % w.pods.length]!, pod: { namespace: 'bench', name: `hello-${i}`, uid: `uid-${i}-0123456789abcdef` } })); // prettier-ignore
    const frames = usageFrames({ ...w, pods: many });
    const total = frames.reduce((n, f) => n + encodeFrame(f).length, 0);
    console.log(`usage frames for 110 pods with traffic:             ${frames.length} frames, ${total} B per interval (${(total / INTERVAL_S).toFixed(0)} B/s)`); // prettier-ignore
  } finally {
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
