/**
 * Pod start benchmark for a cached component (prints figures; not a test):
 *  1. end to end: a real hub and edge-node; 100 bare Pods of hello-c created one after another
 *     through the API, each timed from the POST to its Ready=True arriving on a watch;
 *  2. the runtime alone (in-process, compiled build): createContainer + startContainer of 100
 *     containers of hello-c and of hello, component already transpiled and compiled.
 *
 * Run: npm run build && npm run build:examples && npx tsx bench/wasm-start.ts [--pods 100]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../src/api/index.js';
import { silentLogger } from '../src/platform/index.js';
import { kind } from '../test/support/cluster.js';
import { Cluster, ROOT, WASM, applyAndWait, arg, deployment, percentile, runBench } from './wasm-support.js';
import { createHash } from 'node:crypto';
import type * as WasmRuntimeModule from '../src/runtime-wasm/index.js';

const PODS = arg('pods', 100);

const stats = (ms: number[]): string =>
  `p50 ${percentile(ms, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(ms, 99).toFixed(1).padStart(6)} ms   max ${Math.max(
    ...ms,
  )
    .toFixed(1)
    .padStart(6)} ms`;

interface WatchedPod {
  metadata: { name: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

/** Watches pods and resolves `waitReady(name)` when that pod's Ready=True event arrives. */
function readyWatch(cluster: Cluster): { waitReady(name: string): Promise<number>; stop(): void } {
  const abort = new AbortController();
  const ready = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  void (async () => {
    const res = await cluster.hubFetch('/api/v1/namespaces/default/pods?watch=true', {
      headers: { authorization: `Bearer ${cluster.adminToken}` },
      signal: abort.signal,
    });
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const at = performance.now();
      buf += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        const { object } = JSON.parse(line) as { object: WatchedPod };
        if (
          !object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ||
          ready.has(object.metadata.name)
        )
          continue;
        ready.set(object.metadata.name, at);
        waiters.get(object.metadata.name)?.(at);
      }
    }
  })().catch(() => undefined);
  return {
    waitReady: (name) =>
      new Promise((resolve) => {
        const at = ready.get(name);
        if (at !== undefined) resolve(at);
        else waiters.set(name, resolve);
      }),
    stop: () => abort.abort(),
  };
}

async function endToEnd(): Promise<number[]> {
  const cluster = new Cluster();
  try {
    await cluster.start([{ name: 'bench-1', address: '127.0.31.2' }]);
    // One replica first: uploads, pulls, transpiles and compiles hello-c on the node.
    await applyAndWait(cluster, deployment('warm', WASM.helloC, 1), 'warm', 1);
    const dep = await cluster.client.get<
      KubeObject & {
        spec: { template: { spec: { containers: Array<{ image: string }> } } };
      }
    >(kind('deployments'), 'default', 'warm');
    const image = dep.spec.template.spec.containers[0]!.image;
    const watch = readyWatch(cluster);
    const times: number[] = [];
    for (let i = 0; i < PODS; i++) {
      const name = `start-${i}`;
      const t0 = performance.now();
      const ready = watch.waitReady(name);
      await cluster.client.create(
        kind('pods'),
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, labels: { app: 'start' } },
          spec: {
            runtimeClassName: 'wasm',
            containers: [
              { name: 'app', image, env: [{ name: 'POD_NAME', value: name }], ports: [{ containerPort: 8080 }] },
            ],
          },
        },
        { namespace: 'default' },
      );
      times.push((await ready) - t0);
    }
    watch.stop();
    return times;
  } finally {
    await cluster.stop();
  }
}

async function runtimeAlone(wasmPath: string, name: string): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-bench-start-'));
  const bytes = readFileSync(wasmPath);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const { WasmRuntime } = (await import(join(ROOT, 'dist/runtime-wasm/index.js'))) as typeof WasmRuntimeModule;
  const rt = await WasmRuntime.create({
    dataDir: dir,
    logger: silentLogger(),
    fetchBlob: () => Promise.resolve(bytes),
  });
  const image = await rt.pullImage(`edgeplane.hub/${name}.wasm@${digest}`);
  const config = (id: string) => ({
    id,
    pod: { namespace: 'default', name: id, uid: id },
    name,
    image,
    command: [],
    args: [],
    env: { POD_NAME: id },
    ports: [8080],
    limits: {},
    logPath: join(dir, `${id}.log`),
  });
  // The first container pays for transpiling and compiling; it is not counted.
  await rt.createContainer(config('first'));
  await rt.startContainer('first');
  const times: number[] = [];
  for (let i = 0; i < PODS; i++) {
    const t0 = performance.now();
    await rt.createContainer(config(`c${i}`));
    await rt.startContainer(`c${i}`);
    times.push(performance.now() - t0);
  }
  await rt.close();
  rmSync(dir, { recursive: true, force: true });
  return times;
}

async function main(): Promise<void> {
  console.log(`edgeplane wasm pod start benchmark — node ${process.version}, ${PODS} pods, component cached`);
  console.log(`apply → Ready, hello-c (POST pod → Ready on a watch):   ${stats(await endToEnd())}`);
  console.log(
    `runtime create+start, hello-c (in-process):            ${stats(await runtimeAlone(WASM.helloC, 'hello-c'))}`,
  );
  console.log(
    `runtime create+start, hello (in-process):              ${stats(await runtimeAlone(WASM.hello, 'hello'))}`,
  );
}

runBench(main);
