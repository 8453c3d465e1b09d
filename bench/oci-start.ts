/**
 * Container pod start latency per OCI adapter, next to a Wasm pod's, in one run (prints figures; not
 * a test). A real registry (the busybox httpd image built offline), podman and dockerd started here
 * with their own sockets, a real hub and three real edge-node processes — `runc`, `podman`, `docker`
 * — each also serving Wasm. Per runtime: a Pod is created through the API and timed until the hub
 * shows it Ready (watch events, ms resolution); the first start is cold (image pull, or component
 * upload + transpile), the next ones warm. Then the adapters alone: `createContainer` + `startContainer`
 * through the `Runtime` interface in this process, no control plane.
 *
 * Run (root, with the packages .ci/run installs):
 *   npm run build && npm run build:examples && npx tsx bench/oci-start.ts [--rounds 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../src/api/index.js';
import type { PulledImage } from '../src/api/index.js';
import { silentLogger } from '../src/platform/index.js';
import { RegistryClient } from '../src/distribution/index.js';
import {
  EngineAdapter,
  OciRuntime,
  PodNetwork,
  RuncAdapter,
  type OciRuntimeAdapter,
} from '../src/runtime-oci/index.js';
import { Cluster, ROOT, until, watchCollection, kind } from '../test/support/cluster.js';
import { forceClean, missingTools, REGISTRY_TOOLS } from '../test/support/oci-cluster.js';
import { deleteLink, Dockerd, PodmanService } from '../test/support/oci-daemons.js';
import { busyboxImage } from '../test/support/oci-images.js';
import { TestRegistry } from '../test/support/registry.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROUNDS = arg('rounds', 5);
const HELLO = join(ROOT, 'examples/wasm-apps/hello/dist/hello.wasm');
const BRIDGE = 'ep-bench';

interface PodLike extends KubeObject {
  metadata: { name: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (ms: number): string => `${ms.toFixed(0).padStart(5)} ms`;

async function main(): Promise<void> {
  const missing = missingTools([...REGISTRY_TOOLS, 'runc', 'podman', 'dockerd', 'ip']);
  if (missing.length > 0) throw new Error(`missing tools: ${missing.join(', ')} (see .ci/run)`);
  const dir = mkdtempSync(join(tmpdir(), 'edge-bench-oci-'));
  const registry = await TestRegistry.start({ address: '127.0.15.40', dir: join(dir, 'registry') });
  await registry.push('bench/busybox', '1.0', await busyboxImage('amd64'));
  const image = `${registry.host}/bench/busybox:1.0`;
  const [podman, docker] = await Promise.all([
    PodmanService.start({
      dir: join(dir, 'podman'),
      bridge: 'ep-bp',
      subnet: '10.215.41.0/24',
      insecureRegistries: [registry.host],
    }),
    Dockerd.start({
      dir: join(dir, 'docker'),
      bridge: 'ep-bd',
      subnet: '10.215.42.0/24',
      insecureRegistries: [registry.host],
    }),
  ]);
  const cluster = new Cluster();
  const nodes = [
    {
      name: 'b-runc',
      address: '127.0.15.41',
      args: ['--oci-runtime', 'runc', '--oci-bridge', BRIDGE, '--oci-pod-cidr', '10.215.40.0/24'],
    },
    { name: 'b-podman', address: '127.0.15.42', args: ['--oci-runtime', 'podman', '--oci-socket', podman.socketPath] },
    { name: 'b-docker', address: '127.0.15.43', args: ['--oci-runtime', 'docker', '--oci-socket', docker.socketPath] },
  ];
  const results: Array<{ what: string; cold: number; warm: number[] }> = [];
  try {
    await cluster.start(nodes);
    const watch = watchCollection<PodLike>(cluster, kind('pods'), 'default');
    const readyAt = (name: string, after: number): number | undefined =>
      watch.events.find(
        (e) =>
          e.at >= after &&
          e.object.metadata.name === name &&
          e.object.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      )?.at;

    const startOnce = async (name: string, node: string, runtimeClassName: string, img: string): Promise<number> => {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: {
          runtimeClassName,
          terminationGracePeriodSeconds: 0,
          nodeSelector: { 'kubernetes.io/hostname': node },
          containers: [{ name: 'c', image: img, ports: [{ containerPort: runtimeClassName === 'wasm' ? 8080 : 80 }] }],
        },
      };
      const t0 = Date.now();
      if (runtimeClassName === 'wasm' && img.startsWith('/')) {
        // A local .wasm path: edgectl uploads it to the hub's content store (as a user applies it).
        const r = await cluster.edgectl(['apply', '-f', '-'], JSON.stringify(pod));
        if (r.code !== 0) throw new Error(r.stderr);
      } else {
        await cluster.client.create(kind('pods'), pod, { namespace: 'default' });
      }
      const at = await until(`${name} Ready`, () => readyAt(name, t0), 120_000, 5);
      await cluster.client.delete(kind('pods'), 'default', `${name}`);
      await until(
        `${name} gone`,
        async () => {
          const list = await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default' });
          return !list.items.some((p) => p.metadata.name === name);
        },
        60_000,
        20,
      );
      return at - t0;
    };

    // The Wasm image: the first apply uploads it; later pods use the hub reference it was rewritten to.
    let wasmRef = HELLO;
    const runs = [
      { what: 'oci / runc', node: 'b-runc', rc: 'oci', img: () => image },
      { what: 'oci / podman', node: 'b-podman', rc: 'oci', img: () => image },
      { what: 'oci / docker', node: 'b-docker', rc: 'oci', img: () => image },
      { what: 'wasm (hello, 13 MB component)', node: 'b-runc', rc: 'wasm', img: () => wasmRef },
    ];
    for (const r of runs) {
      const cold = await startOnce(`cold-${r.node}-${r.rc}`, r.node, r.rc, r.img());
      if (r.rc === 'wasm') {
        const pods = watch.events.filter((e) => e.object.metadata.name === `cold-${r.node}-${r.rc}`);
        const spec = (pods[0]?.object as { spec?: { containers?: Array<{ image: string }> } } | undefined)?.spec;
        wasmRef = spec?.containers?.[0]?.image ?? wasmRef;
      }
      const warm: number[] = [];
      for (let i = 0; i < ROUNDS; i++) warm.push(await startOnce(`warm-${r.node}-${r.rc}-${i}`, r.node, r.rc, r.img()));
      results.push({ what: r.what, cold, warm });
    }
    await watch.stop();
  } finally {
    await Promise.all([...cluster.nodes.values()].map((n) => n.proc.kill('SIGTERM')));
    forceClean([join(cluster.dir, 'b-runc', 'runtime-oci', 'runc')], cluster.dir, [`edge-${BRIDGE}-`]);
    await cluster.stop();
    deleteLink(BRIDGE);
  }

  // The adapters alone, through the Runtime interface in this process.
  const direct: Array<{ what: string; ms: number[] }> = [];
  const logger = silentLogger();
  const platform = { os: 'linux', architecture: 'amd64' };
  const network = await PodNetwork.create({ bridge: BRIDGE, cidr: '10.215.43.0/24', logger });
  const adapters: Array<[string, OciRuntimeAdapter]> = [
    [
      'runc',
      await RuncAdapter.create({
        dataDir: join(dir, 'direct-runc'),
        client: new RegistryClient(),
        network,
        nodeAddress: '127.0.15.44',
        logger,
      }),
    ],
    [
      'podman',
      await EngineAdapter.create({
        socketPath: podman.socketPath,
        flavor: 'podman',
        nodeName: 'direct',
        nodeAddress: '127.0.15.44',
        logger,
      }),
    ],
    [
      'docker',
      await EngineAdapter.create({
        socketPath: docker.socketPath,
        flavor: 'docker',
        nodeName: 'direct',
        nodeAddress: '127.0.15.44',
        logger,
      }),
    ],
  ];
  try {
    for (const [name, adapter] of adapters) {
      const rt = await OciRuntime.create({ adapter, platform, logger });
      const img: PulledImage = await rt.pullImage(image);
      const ms: number[] = [];
      for (let i = 0; i < ROUNDS + 1; i++) {
        const id = `bench-${name}-${i}`;
        const t0 = performance.now();
        await rt.createContainer({
          id,
          pod: { namespace: 'default', name: `p${i}`, uid: `bench${i}-uid` },
          name: 'c',
          image: img,
          command: [],
          args: [],
          env: {},
          ports: [80],
          limits: {},
          logPath: join(dir, 'logs', `${id}.log`),
        });
        await rt.startContainer(id);
        ms.push(performance.now() - t0);
        await rt.stopContainer(id, 0);
        await rt.removeContainer(id);
      }
      direct.push({ what: name, ms: ms.slice(1) });
      await rt.close();
    }
  } finally {
    forceClean([join(dir, 'direct-runc', 'runc')], dir, [`edge-${BRIDGE}-`]);
    deleteLink(BRIDGE);
    await Promise.all([podman.stop(), docker.stop()]);
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  console.log(`edgeplane OCI start benchmark — node ${process.version}, ${ROUNDS} warm rounds per runtime`);
  console.log('pod start, API create → Ready on the hub (hub + 3 nodes):');
  for (const r of results)
    console.log(
      `  ${r.what.padEnd(32)} cold ${fmt(r.cold)}   warm median ${fmt(median(r.warm))}  (min ${fmt(Math.min(...r.warm))}, max ${fmt(Math.max(...r.warm))})`,
    );
  console.log('adapter alone, Runtime.createContainer + startContainer (image present):');
  for (const d of direct)
    console.log(
      `  ${d.what.padEnd(32)} median ${fmt(median(d.ms))}  (min ${fmt(Math.min(...d.ms))}, max ${fmt(Math.max(...d.ms))})`,
    );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
