/**
 * Containers through the daemonless runc adapter, end to end: a real registry (Debian's
 * docker-registry behind token auth) holding a busybox image built here, a real hub and two real
 * edge-node processes with `--oci-runtime runc` — oc-1 gives each pod its own network namespace on a
 * bridge, oc-2 runs pods in the node's network. A busybox httpd Deployment is reached through
 * NodePort 30150 on both nodes, its process is killed and restarted, a liveness probe restarts it,
 * its logs are read with edgectl, containers on both nodes call a ClusterIP Wasm Service through
 * their node's local proxy (by their Service env vars, and by name through `http_proxy`) with the
 * egress annotation applied, and deleting it all leaves no container, bundle, mount, cgroup or netns.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, ROOT, httpGet, until, kind } from './support/cluster.js';
import { pacedGets } from './support/paced-gets.js';
import {
  REGISTRY_TOOLS,
  containerPid,
  missingTools,
  runcContainers,
  runcLeftovers,
  stopGracefully,
} from './support/oci-cluster.js';
import { deleteLink } from './support/oci-daemons.js';
import { busyboxImage, ociIndex } from './support/oci-images.js';
import { TestRegistry } from './support/registry.js';
import {
  type PodLike,
  cs0,
  deleteEverything,
  eventsOf,
  isReady,
  podsOf,
  webManifest,
} from './support/oci-manifests.js';
import {
  ALLOWED_OUTGOING_HOSTS_ANNOTATION,
  type CallerReport,
  callerPod,
  callerReport,
  helloDeployment,
  helloService,
} from './support/oci-service-callers.js';
import type { Node } from '../src/api/index.js';

const missing = missingTools([...REGISTRY_TOOLS, 'runc', 'ip', 'mount']);
const BRIDGE = 'ep-t1';
const NODES = [
  {
    name: 'oc-1',
    address: '127.0.15.2',
    args: ['--oci-runtime', 'runc', '--oci-bridge', BRIDGE, '--oci-pod-cidr', '10.215.1.0/24'],
  },
  { name: 'oc-2', address: '127.0.15.3', args: ['--oci-runtime', 'runc', '--oci-network', 'host'] },
];
const PORT = 30150;

describe.skipIf(missing.length > 0)(
  `OCI pods via runc${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-oci-runc-'));
    const cluster = new Cluster(['--node-grace-period', '3s', '--heartbeat-interval', '500ms']);
    let registry: TestRegistry;
    let image = '';
    const runcRoot = (node: string): string => join(cluster.node(node).dataDir, 'runtime-oci', 'runc');
    const seenIds = new Set<string>();
    const remember = (): void => {
      for (const n of NODES) for (const c of runcContainers(runcRoot(n.name))) seenIds.add(c.id);
    };

    beforeAll(async () => {
      registry = await TestRegistry.start({
        address: '127.0.15.1',
        dir: join(dir, 'registry'),
        users: { ci: 'secret' },
      });
      await registry.push(
        'edge/busybox',
        '1.0',
        ociIndex([
          { image: await busyboxImage('amd64'), architecture: 'amd64' },
          { image: await busyboxImage('arm64'), architecture: 'arm64' },
        ]),
      );
      image = `${registry.host}/edge/busybox:1.0`;
      await cluster.start(NODES);
    }, 120_000);

    afterAll(async () => {
      await stopGracefully(cluster, {
        runcRoots: NODES.map((n) => runcRoot(n.name)),
        netnsPrefixes: [`edge-${BRIDGE}-`],
      });
      deleteLink(BRIDGE);
      await registry?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('nodes advertise the oci runtime next to wasm', async () => {
      const nodes = await cluster.client.list<Node>(kind('nodes'));
      for (const n of nodes.items)
        expect(n.status?.runtimeHandlers?.map((h) => h.name).sort()).toEqual(['oci', 'wasm']);
    });

    it('runs a busybox httpd Deployment on both nodes, reachable through the NodePort on each', async () => {
      const r = await cluster.edgectl(
        ['apply', '-f', '-'],
        webManifest({ name: 'web', image, replicas: 2, nodePort: PORT }),
      );
      expect(r.code, r.stderr).toBe(0);
      const pods = await until(
        '2 Ready web pods on both nodes',
        async () => {
          const ps = await podsOf(cluster, 'web');
          return ps.length === 2 && ps.every(isReady) && new Set(ps.map((p) => p.spec.nodeName)).size === 2
            ? ps
            : undefined;
        },
        60_000,
        250,
      );
      remember();
      for (const n of NODES) {
        const res = await until(
          `an answer through ${n.address}:${PORT}`,
          async () => {
            const x = await httpGet(`http://${n.address}:${PORT}/`);
            return x.status === 200 ? x : undefined;
          },
          15_000,
          200,
        );
        expect(res.body).toBe('hello from a busybox container\n');
      }
      // The pod on the bridge node has its own address; the host-network one answers on the node's.
      const bridged = pods.find((p) => p.spec.nodeName === 'oc-1')!;
      expect(bridged.status?.containerStatuses?.[0]?.imageID ?? '').toMatch(/sha256:[0-9a-f]{64}/);
    }, 90_000);

    it('shows the container output with edgectl logs, and follows it with logs -f', async () => {
      const [pod] = await podsOf(cluster, 'web');
      for (let i = 0; i < 4; i++) await httpGet(`http://${NODES[i % 2]!.address}:${PORT}/`);
      const logs = await until(
        'httpd access lines in the log',
        async () => {
          const r = await cluster.edgectl(['logs', pod!.metadata.name]);
          return r.code === 0 && /response:200/.test(r.stdout) ? r : undefined;
        },
        15_000,
        300,
      );
      expect(logs.stderr).toBe('');
      // `logs -f` follows: a request made while it runs shows up in its output.
      const follow = spawn(process.execPath, [join(ROOT, 'bin/edgectl.js'), 'logs', '-f', pod!.metadata.name], {
        env: {
          ...process.env,
          EDGE_SERVER: cluster.url,
          EDGE_TOKEN: cluster.adminToken,
          EDGE_CONFIG: join(cluster.dir, 'edgectl-config'),
          EDGE_CA_FILE: cluster.caFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      follow.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        const before = await until(
          'the history',
          () => (out.match(/response:200/g)?.length ?? 0) > 0 && out.match(/response:200/g)!.length,
          15_000,
          100,
        );
        await until(
          'a new line followed',
          async () => {
            await httpGet(`http://${pod!.spec.nodeName === 'oc-1' ? '127.0.15.2' : '127.0.15.3'}:${PORT}/`);
            return (out.match(/response:200/g)?.length ?? 0) > before;
          },
          15_000,
          300,
        );
      } finally {
        follow.kill();
      }
    }, 45_000);

    it('runs commands in a container with edgectl exec, with their output and exit code', async () => {
      const [pod] = await podsOf(cluster, 'web');
      const ok = await cluster.edgectl([
        'exec',
        pod!.metadata.name,
        '--',
        'sh',
        '-c',
        'echo hello from $(hostname); ls /www',
      ]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/hello from/);
      const failing = await cluster.edgectl(['exec', pod!.metadata.name, '--', 'sh', '-c', 'echo oops >&2; exit 3']);
      expect(failing.code).toBe(3);
      expect(failing.stderr).toMatch(/oops/);
      expect(failing.stderr).toMatch(/command terminated with exit code 3/);
      const wrong = await cluster.edgectl(['exec', pod!.metadata.name, '-c', 'nope', '--', 'true']);
      expect(wrong.code).not.toBe(0);
      expect(wrong.stderr).toMatch(/container nope is not valid/);
    }, 60_000);

    it('restarts a container whose process is killed (restartPolicy Always) and serves again', async () => {
      const victim = (await podsOf(cluster, 'web')).find((p) => p.spec.nodeName === 'oc-1')!;
      const pid = await until(
        'the container pid',
        () => containerPid({ runcRoot: runcRoot('oc-1') }, victim.metadata.uid),
        10_000,
      );
      process.kill(pid, 'SIGKILL');
      const after = await until(
        'the restarted container Ready',
        async () => {
          const p = (await podsOf(cluster, 'web')).find((x) => x.metadata.uid === victim.metadata.uid);
          return p && cs0(p)?.restartCount === 1 && isReady(p) ? p : undefined;
        },
        30_000,
        200,
      );
      expect(cs0(after)?.lastState?.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
      remember();
      expect(
        (
          await until(
            'an answer after the restart',
            async () => {
              const x = await httpGet(`http://127.0.15.2:${PORT}/`);
              return x.status === 200 ? x : undefined;
            },
            15_000,
            200,
          )
        ).body,
      ).toMatch(/busybox/);
    }, 60_000);

    it('restarts a container failing its liveness (exec) probe', async () => {
      const manifest = webManifest({
        name: 'live',
        image,
        replicas: 1,
        node: 'oc-1',
        command: ['sh', '-c', 'touch /tmp/ok; (sleep 2; rm /tmp/ok) & exec httpd -f -p 80 -h /www'],
        livenessProbe: { exec: { command: ['test', '-f', '/tmp/ok'] }, periodSeconds: 1, failureThreshold: 1 },
      });
      expect((await cluster.edgectl(['apply', '-f', '-'], manifest)).code).toBe(0);
      const pod = await until(
        'a liveness restart',
        async () => {
          const [p] = await podsOf(cluster, 'live');
          return p && (cs0(p)?.restartCount ?? 0) >= 1 ? p : undefined;
        },
        45_000,
        250,
      );
      remember();
      const events = await eventsOf(cluster, pod.metadata.name);
      expect(events.some((e) => e.reason === 'Unhealthy' && /Liveness probe failed/.test(e.message ?? ''))).toBe(true);
      expect(events.some((e) => e.reason === 'Killing' && /failed liveness probe/.test(e.message ?? ''))).toBe(true);
      expect((await cluster.edgectl(['delete', 'deployment', 'live'])).code).toBe(0);
    }, 60_000);

    it('reports the exit code of a container that fails with restartPolicy Never, and keeps its output', async () => {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'once' },
        spec: {
          runtimeClassName: 'oci',
          restartPolicy: 'Never',
          nodeSelector: { 'kubernetes.io/hostname': 'oc-1' },
          containers: [{ name: 'c', image, command: ['sh', '-c', 'echo going; echo away >&2; exit 3'] }],
        },
      };
      expect((await cluster.edgectl(['apply', '-f', '-'], JSON.stringify(pod))).code).toBe(0);
      const done = await until(
        'the pod Failed',
        async () => {
          const p = await cluster.client.get<PodLike>(kind('pods'), 'default', 'once');
          return p.status?.phase === 'Failed' ? p : undefined;
        },
        30_000,
        200,
      );
      expect(cs0(done)?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
      expect(cs0(done)?.restartCount).toBe(0);
      // stdout and stderr are two pipes: their relative order is not kept (nor is it in Kubernetes).
      const logs = await cluster.edgectl(['logs', 'once']);
      expect(logs.stdout.split('\n').sort()).toEqual(['', 'away', 'going']);
      expect((await cluster.edgectl(['delete', 'pod', 'once'])).code).toBe(0);
    }, 45_000);

    it('schedules an OCI pod only onto nodes of an architecture its image offers', async () => {
      const manifest = webManifest({
        name: 'armonly',
        image,
        replicas: 1,
        annotations: { 'edgeplane.io/image-architectures': 'arm64,riscv64' },
      });
      expect((await cluster.edgectl(['apply', '-f', '-'], manifest)).code).toBe(0);
      const pod = await until(
        'the pod unschedulable',
        async () => {
          const [p] = await podsOf(cluster, 'armonly');
          const c = p?.status?.conditions?.find((x) => x.type === 'PodScheduled');
          return c?.status === 'False' ? { p, c } : undefined;
        },
        20_000,
        200,
      );
      expect(pod.c.message).toMatch(/didn't match the image's architectures/);
      expect(pod.p?.spec.nodeName).toBeUndefined();
      expect((await cluster.edgectl(['delete', 'deployment', 'armonly'])).code).toBe(0);
    }, 30_000);

    it('an agent killed (SIGKILL), then stopped for an upgrade (SIGTERM, --oci-on-exit keep), adopts its container each time: same id, pid and restart count, the pod answering throughout', async () => {
      const pod = (await podsOf(cluster, 'web')).find((p) => p.spec.nodeName === 'oc-1')!;
      const uid = pod.metadata.uid;
      const mine = (): Array<{ id: string; pid: number; status: string }> =>
        runcContainers(runcRoot('oc-1')).filter((c) => c.id.startsWith(uid.slice(0, 8)));
      const before = mine();
      expect(before).toHaveLength(1);
      const restarts = cs0(pod)?.restartCount;
      // The pod's own address on the bridge: served by the container, not by the agent.
      const { ip } = JSON.parse(
        readFileSync(join(cluster.node('oc-1').dataDir, 'runtime-oci', 'bundles', before[0]!.id, 'agent.json'), 'utf8'),
      ) as { ip: string };
      const paced = pacedGets(`http://${ip}/`);
      try {
        const steps = [
          { signal: 'SIGKILL' as const, next: [...NODES[0]!.args, '--oci-on-exit', 'keep'] },
          { signal: 'SIGTERM' as const, next: NODES[0]!.args },
        ];
        for (const step of steps) {
          await paced.answered(3);
          await cluster.node('oc-1').proc.kill(step.signal);
          await paced.answered(3); // no agent runs now: the container answers alone
          await cluster.startNode({ ...NODES[0]!, args: step.next });
          const seen = await until(
            `oc-1 reporting the adopted container Ready after ${step.signal}`,
            async () => {
              const p = (await podsOf(cluster, 'web')).find((x) => x.metadata.uid === uid);
              const node = (await cluster.client.list<Node>(kind('nodes'))).items.find(
                (n) => n.metadata.name === 'oc-1',
              );
              const nodeReady = node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
              return nodeReady && isReady(p) && cs0(p)?.containerID === `oci://${before[0]!.id}` ? p : undefined;
            },
            30_000,
            200,
          );
          expect(cs0(seen)?.restartCount).toBe(restarts);
          expect(mine()).toEqual(before);
          await until(
            'an answer through oc-1',
            async () => (await httpGet(`http://127.0.15.2:${PORT}/`)).status === 200,
            15_000,
            200,
          );
          await paced.answered(3);
        }
      } finally {
        const { ok, failed } = await paced.stop();
        console.log(
          `[agent restarts] pod address ${ip}: ${ok} answered, ${failed.length} failed ${JSON.stringify(failed.slice(0, 3))}`,
        );
        expect(failed).toEqual([]);
      }
      expect(mine()).toEqual(before);
    }, 90_000);

    it('containers reach a ClusterIP Wasm Service by its env vars and by name through the node proxy; other hosts as their pod allows', async () => {
      // hello (Wasm) runs on oc-1 only, behind a ClusterIP Service: no port for it on any node address.
      const r = await cluster.edgectl(
        ['apply', '-f', '-'],
        [helloDeployment('oc-1'), helloService()].map((d) => JSON.stringify(d)).join('\n---\n'),
      );
      expect(r.code, r.stderr).toBe(0);
      // As in Kubernetes, a container's env lists the Services that exist when it is created.
      await until('hello Ready', async () => isReady((await podsOf(cluster, 'hello'))[0]), 60_000, 250);
      const registryHost = registry.host.split(':')[0]!;
      // caller-bridge: its own netns on oc-1's bridge, allowed to call the registry's host.
      // caller-host: oc-2's network (its node cannot tell its processes apart: Services only), calling
      // hello on oc-1 across the mesh.
      const callers = [
        callerPod('caller-bridge', 'oc-1', image, registry.host, { [ALLOWED_OUTGOING_HOSTS_ANNOTATION]: registryHost }),
        callerPod('caller-host', 'oc-2', image, registry.host),
      ];
      const a = await cluster.edgectl(['apply', '-f', '-'], callers.map((d) => JSON.stringify(d)).join('\n---\n'));
      expect(a.code, a.stderr).toBe(0);
      const out = await Promise.all(['caller-bridge', 'caller-host'].map((name) => callerReport(cluster, name)));
      remember();
      const [bridge, host] = out as [CallerReport, CallerReport];
      expect(bridge.vars.HELLO_SERVICE_HOST).toBe('10.215.1.1'); // the bridge's gateway
      expect(host.vars.HELLO_SERVICE_HOST).toBe('127.0.15.3'); // loopback: oc-2's address is one here
      for (const c of [bridge, host]) {
        expect(c.vars.http_proxy).toMatch(
          new RegExp(`^http://${c.vars.HELLO_SERVICE_HOST!.replace(/\./g, '\\.')}:[0-9]+$`),
        );
        expect(c.vars.HELLO_PORT_80_TCP).toBe(`tcp://${c.vars.HELLO_SERVICE_HOST}:${c.vars.HELLO_SERVICE_PORT}`);
        for (const answer of [c.byEnv, c.byName])
          expect(answer).toMatchObject({
            message: 'hello from Edgeplane',
            pod: expect.stringMatching(/^hello-/) as unknown,
          });
      }
      // The bridged pod is known by its address: its annotation lets it reach the registry (which wants a token: 401).
      expect(bridge.external).toMatch(/401 Unauthorized/);
      expect(bridge.denied).toMatch(/^HTTP\/1\.1 403 Forbidden/);
      expect(bridge.denied).toContain(
        'outgoing HTTP to nobody.example.com:80 denied: pod default/caller-bridge does not allow it; list it in the pod annotation edgeplane.io/allowed-outgoing-hosts',
      );
      expect(host.external).toMatch(/403 Forbidden/);
      expect(host.denied).toMatch(/is not a pod this node can identify: only Services are reachable from it/);
      for (const name of ['caller-bridge', 'caller-host'])
        expect((await cluster.edgectl(['delete', 'pod', name])).code).toBe(0);
      expect((await cluster.edgectl(['delete', 'deployment', 'hello'])).code).toBe(0);
      expect((await cluster.edgectl(['delete', 'service', 'hello'])).code).toBe(0);
    }, 120_000);

    it('a Wasm component calls the container Deployment by its Service name, on its own node and across the mesh', async () => {
      // The shop's frontend (Wasm) with its debug route on: `/debug/call?url=` makes one outgoing GET
      // from inside the guest (wasi:http outgoing-handler) and reports what came back. One replica per
      // node; `web` (busybox httpd) has a replica on each node too, bridged on oc-1, host network on oc-2.
      const FRONT = PORT + 5;
      const frontend = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'wasm-front' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'wasm-front' } },
          template: {
            metadata: { labels: { app: 'wasm-front' } },
            spec: {
              runtimeClassName: 'wasm',
              containers: [
                {
                  name: 'frontend',
                  image: join(ROOT, 'examples/wasm-apps/shop/frontend/dist/frontend.wasm'),
                  ports: [{ containerPort: 8080 }],
                  env: [
                    { name: 'DEBUG_ROUTES', value: '1' },
                    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                    { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                  ],
                },
              ],
            },
          },
        },
      };
      const svc = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'wasm-front' },
        spec: {
          type: 'NodePort',
          selector: { app: 'wasm-front' },
          ports: [{ port: 80, targetPort: 8080, nodePort: FRONT }],
        },
      };
      const r = await cluster.edgectl(
        ['apply', '-f', '-'],
        [frontend, svc].map((d) => JSON.stringify(d)).join('\n---\n'),
      );
      expect(r.code, r.stderr).toBe(0);
      await until(
        '2 Ready wasm-front pods on both nodes',
        async () => {
          const ps = await podsOf(cluster, 'wasm-front');
          return ps.length === 2 && ps.every(isReady) && new Set(ps.map((p) => p.spec.nodeName)).size === 2;
        },
        60_000,
        250,
      );
      const seen = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const via = NODES[i % 2]!.address;
        const x = await until(
          `a call from the Wasm frontend to http://web/ through ${via}`,
          async () => {
            const res = await httpGet(`http://${via}:${FRONT}/debug/call?url=${encodeURIComponent('http://web/')}`);
            return res.status === 200 ? res : undefined;
          },
          20_000,
          250,
        );
        const doc = JSON.parse(x.body) as { node: string; status: number; body: string };
        expect(doc.status).toBe(200);
        expect(doc.body).toBe('hello from a busybox container\n');
        seen.add(doc.node);
      }
      expect([...seen].sort()).toEqual(['oc-1', 'oc-2']);
      // With no web replica on oc-2, oc-2's frontend reaches oc-1's over the mesh.
      expect((await cluster.edgectl(['scale', 'deployment', 'web', '--replicas', '1'])).code).toBe(0);
      await until(
        'one web pod left',
        async () => (await podsOf(cluster, 'web')).filter((p) => !p.metadata.deletionTimestamp).length === 1,
        30_000,
        200,
      );
      for (const n of NODES) {
        const x = await until(
          `a call through ${n.address} once web has one replica`,
          async () => {
            const res = await httpGet(
              `http://${n.address}:${FRONT}/debug/call?url=${encodeURIComponent('http://web/')}`,
            );
            return res.status === 200 ? res : undefined;
          },
          20_000,
          250,
        );
        expect((JSON.parse(x.body) as { body: string }).body).toBe('hello from a busybox container\n');
      }
      expect((await cluster.edgectl(['delete', 'deployment', 'wasm-front'])).code).toBe(0);
      expect((await cluster.edgectl(['delete', 'service', 'wasm-front'])).code).toBe(0);
    }, 120_000);

    it('deleting the Deployment leaves no container, bundle, mount, cgroup or netns behind', async () => {
      remember();
      expect(seenIds.size).toBeGreaterThanOrEqual(4);
      expect((await cluster.edgectl(['delete', 'deployment', 'web'])).code).toBe(0);
      await deleteEverything(cluster); // and whatever an earlier, failed test left
      await until(
        'no pods left',
        async () => (await cluster.client.list(kind('pods'), { namespace: 'default' })).items.length === 0,
        30_000,
        200,
      );
      for (const n of NODES) {
        const left = await until(
          `nothing left on ${n.name}`,
          () => {
            const l = runcLeftovers(cluster.node(n.name).dataDir, BRIDGE, [...seenIds]);
            return Object.values(l).every((v) => v.length === 0) ? l : undefined;
          },
          20_000,
          200,
        ).catch(() => runcLeftovers(cluster.node(n.name).dataDir, BRIDGE, [...seenIds]));
        expect(left).toEqual({ containers: [], bundles: [], mounts: [], cgroups: [], netns: [] });
      }
    }, 60_000);
  },
);
