/**
 * Containers through the Docker Engine API adapter, end to end, against both daemons that serve it:
 * `podman system service` (node oe-p) and `dockerd` from docker.io (node oe-d), each started here with
 * its own socket, storage and bridge. The image is in a private repository of a real registry behind
 * token auth, so the nodes' credentials travel to the daemons (X-Registry-Auth). A busybox httpd
 * Deployment is reached through NodePort 30151 on both nodes, killed and restarted, restarted by a
 * liveness probe, its logs read with edgectl; containers on each daemon call a ClusterIP Wasm Service
 * through their node's local proxy; deleting it all leaves no container in either daemon. The real
 * kubectl runs `exec -i`, `exec -it` (on a pty of its own) and `cp` in a container of each daemon
 * (the Engine API's hijacked exec). Each agent, killed with SIGKILL and started again, adopts its
 * running container (issue 20) while requests go to the pod's address every 100 ms.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, httpGet, until, kind } from './support/cluster.js';
import {
  REGISTRY_TOOLS,
  cgroupsNamed,
  containerAddress,
  containerPid,
  engineContainers,
  missingTools,
  mountsUnder,
  stopGracefully,
} from './support/oci-cluster.js';
import { EngineRig } from './support/engine-rig.js';
import { pacedGets } from './support/paced-gets.js';
import { attachPod, checkEngineAttach } from './support/engine-attach-check.js';
import { checkEngineExec } from './support/engine-exec-check.js';
import { requireKubectl } from './support/kubectl.js';
import type { Node } from '../src/api/index.js';
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
  callerPod,
  callerReport,
  helloDeployment,
  helloService,
} from './support/oci-service-callers.js';

const missing = missingTools([...REGISTRY_TOOLS, 'podman', 'dockerd', 'containerd', 'runc', 'ip']);
const PORT = 30151;
const REGISTRY_ADDRESS = '127.0.15.10';

describe.skipIf(missing.length > 0)(
  `OCI pods via the Engine API (podman, dockerd)${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-oci-engine-'));
    const cluster = new Cluster(['--node-grace-period', '3s', '--heartbeat-interval', '500ms']);
    let rig: EngineRig;
    let image = '';
    const engineIds = new Set<string>();
    const remember = async (): Promise<void> => {
      for (const n of nodes)
        for (const c of await engineContainers(n.socket(), `io.edgeplane.node=${n.name}`)) engineIds.add(c.Id);
    };
    const nodes: Array<{ name: string; address: string; engine: 'podman' | 'docker'; socket: () => string }> = [
      { name: 'oe-p', address: '127.0.15.11', engine: 'podman', socket: () => rig.podman.socketPath },
      { name: 'oe-d', address: '127.0.15.12', engine: 'docker', socket: () => rig.docker.socketPath },
    ];

    beforeAll(async () => {
      requireKubectl();
      rig = await EngineRig.start({
        dir,
        registryAddress: REGISTRY_ADDRESS,
        podman: { bridge: 'ep-tp', subnet: '10.215.2.0/24' },
        docker: { bridge: 'ep-td', subnet: '10.215.3.0/24' },
      });
      image = rig.image;
      await cluster.start([
        {
          name: 'oe-p',
          address: '127.0.15.11',
          args: rig.nodeArgs('podman'),
        },
        {
          name: 'oe-d',
          address: '127.0.15.12',
          args: rig.nodeArgs('docker'),
        },
      ]);
    }, 180_000);

    afterAll(async () => {
      await stopGracefully(cluster);
      await rig?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, 90_000);

    it('runs a busybox httpd Deployment from a private repository on both daemons, reachable through the NodePort', async () => {
      const r = await cluster.edgectl(
        ['apply', '-f', '-'],
        webManifest({ name: 'web', image, replicas: 2, nodePort: PORT }),
      );
      expect(r.code, r.stderr).toBe(0);
      await until(
        '2 Ready web pods, one per daemon',
        async () => {
          const ps = await podsOf(cluster, 'web');
          return ps.length === 2 && ps.every(isReady) && new Set(ps.map((p) => p.spec.nodeName)).size === 2;
        },
        90_000,
        250,
      );
      for (const n of nodes) {
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
        const mine = await engineContainers(n.socket(), `io.edgeplane.node=${n.name}`);
        expect(mine.filter((c) => c.State === 'running')).toHaveLength(1);
      }
      await remember();
    }, 120_000);

    it('shows the container output with edgectl logs', async () => {
      for (let i = 0; i < 4; i++) await httpGet(`http://${nodes[i % 2]!.address}:${PORT}/`);
      for (const pod of await podsOf(cluster, 'web')) {
        await until(
          `httpd access lines in the log of ${pod.metadata.name}`,
          async () => {
            const r = await cluster.edgectl(['logs', pod.metadata.name]);
            return r.code === 0 && /response:200/.test(r.stdout);
          },
          15_000,
          300,
        );
      }
    }, 40_000);

    it('kubectl exec -i, exec -it and cp run in a container of each daemon (hijacked exec); killing kubectl ends the command', async () => {
      const config = join(cluster.hubDir, 'admin.kubeconfig');
      const blob = randomBytes(1024 * 1024 + 17);
      const pods = (await podsOf(cluster, 'web')).map((p) => p.metadata.name);
      await Promise.all(pods.map((pod) => checkEngineExec(config, dir, pod, blob)));
    }, 120_000);

    it('kubectl attach -it and -i join the main process on each daemon (Engine API attach): sized, resized, detached, stdinOnce closed with the exit code', async () => {
      const a = await cluster.edgectl(
        ['apply', '-f', '-'],
        nodes.map((n) => JSON.stringify(attachPod(`att-${n.name}`, n.name, image))).join('\n---\n'),
      );
      expect(a.code, a.stderr).toBe(0);
      const config = join(cluster.hubDir, 'admin.kubeconfig');
      await Promise.all(nodes.map((n) => checkEngineAttach(cluster, config, dir, `att-${n.name}`)));
    }, 120_000);

    it('restarts a container whose process is killed, on each daemon', async () => {
      const pods = await podsOf(cluster, 'web');
      for (const n of nodes) {
        const victim = pods.find((p) => p.spec.nodeName === n.name)!;
        const pid = await until(
          'the container pid',
          () => containerPid({ socket: n.socket() }, victim.metadata.uid),
          10_000,
        );
        process.kill(pid, 'SIGKILL');
      }
      for (const victim of pods) {
        const after = await until(
          `${victim.metadata.name} restarted and Ready`,
          async () => {
            const p = (await podsOf(cluster, 'web')).find((x) => x.metadata.uid === victim.metadata.uid);
            return p && cs0(p)?.restartCount === 1 && isReady(p) ? p : undefined;
          },
          40_000,
          200,
        );
        expect(cs0(after)?.lastState?.terminated?.exitCode).toBe(137);
      }
      await remember();
      for (const n of nodes) {
        await until(
          `an answer through ${n.name} after the restart`,
          async () => (await httpGet(`http://${n.address}:${PORT}/`)).status === 200,
          15_000,
          200,
        );
      }
    }, 90_000);

    it('an agent killed (SIGKILL) and started again adopts its container on each daemon: same id and restart count, the pod answering throughout', async () => {
      const pods = await podsOf(cluster, 'web');
      await Promise.all(
        nodes.map(async (n) => {
          const pod = pods.find((p) => p.spec.nodeName === n.name)!;
          const uid = pod.metadata.uid;
          const mine = async (): Promise<string[]> =>
            (await engineContainers(n.socket(), `io.edgeplane.pod.uid=${uid}`)).map((c) => c.Id);
          const before = await mine();
          expect(before).toHaveLength(1);
          const ip = await containerAddress(n.socket(), before[0]!);
          // The pod's own address on its daemon's bridge: served by the container, not by the agent.
          const paced = pacedGets(`http://${ip}/`);
          try {
            await paced.answered(3);
            await cluster.node(n.name).proc.kill('SIGKILL');
            await paced.answered(3); // no agent runs now: the container answers alone
            await cluster.startNode({ name: n.name, address: n.address, args: rig.nodeArgs(n.engine) });
            const seen = await until(
              `${n.name} reporting the adopted container Ready`,
              async () => {
                const p = (await podsOf(cluster, 'web')).find((x) => x.metadata.uid === uid);
                const node = (await cluster.client.list<Node>(kind('nodes'))).items.find(
                  (x) => x.metadata.name === n.name,
                );
                const nodeReady = node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
                // Ready again after the node's own restart (its heartbeats), with the same container.
                return nodeReady && isReady(p) && cs0(p)?.containerID === cs0(pod)?.containerID ? p : undefined;
              },
              30_000,
              200,
            );
            expect(cs0(seen)?.restartCount).toBe(cs0(pod)?.restartCount);
            expect(await mine()).toEqual(before);
            await until(
              `an answer through ${n.name}'s NodePort`,
              async () => (await httpGet(`http://${n.address}:${PORT}/`)).status === 200,
              15_000,
              200,
            );
            await paced.answered(3);
          } finally {
            const { ok, failed } = await paced.stop();
            console.log(
              `[agent restart ${n.name}] pod address ${ip}: ${ok} answered, ${failed.length} failed ${JSON.stringify(failed.slice(0, 3))}`,
            );
            expect(failed).toEqual([]);
          }
        }),
      );
    }, 60_000);

    it('restarts a container failing its liveness (exec) probe, on each daemon', async () => {
      for (const n of nodes) {
        const manifest = webManifest({
          name: `live-${n.name}`,
          image,
          replicas: 1,
          node: n.name,
          command: ['sh', '-c', 'touch /tmp/ok; (sleep 2; rm /tmp/ok) & exec httpd -f -p 80 -h /www'],
          livenessProbe: { exec: { command: ['test', '-f', '/tmp/ok'] }, periodSeconds: 1, failureThreshold: 1 },
        });
        expect((await cluster.edgectl(['apply', '-f', '-'], manifest)).code).toBe(0);
      }
      for (const n of nodes) {
        const pod = await until(
          `a liveness restart on ${n.name}`,
          async () => {
            const [p] = await podsOf(cluster, `live-${n.name}`);
            return p && (cs0(p)?.restartCount ?? 0) >= 1 ? p : undefined;
          },
          60_000,
          250,
        );
        await remember();
        const events = await eventsOf(cluster, pod.metadata.name);
        expect(events.some((e) => e.reason === 'Killing' && /failed liveness probe/.test(e.message ?? ''))).toBe(true);
        expect((await cluster.edgectl(['delete', 'deployment', `live-${n.name}`])).code).toBe(0);
      }
    }, 90_000);

    it('reports the exit code and output of a container with restartPolicy Never', async () => {
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'once' },
        spec: {
          runtimeClassName: 'oci',
          restartPolicy: 'Never',
          nodeSelector: { 'kubernetes.io/hostname': 'oe-d' },
          containers: [{ name: 'c', image, command: ['sh', '-c', 'echo going; exit 3'] }],
        },
      };
      expect((await cluster.edgectl(['apply', '-f', '-'], JSON.stringify(pod))).code).toBe(0);
      const done = await until(
        'the pod Failed',
        async () => {
          const p = await cluster.client.get<PodLike>(kind('pods'), 'default', 'once');
          return p.status?.phase === 'Failed' ? p : undefined;
        },
        40_000,
        200,
      );
      expect(cs0(done)?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
      expect((await cluster.edgectl(['logs', 'once'])).stdout).toBe('going\n');
      expect((await cluster.edgectl(['delete', 'pod', 'once'])).code).toBe(0);
    }, 60_000);

    it("containers on either daemon reach a ClusterIP Wasm Service by env vars and by name through their node's proxy", async () => {
      // hello (Wasm) runs on oe-p; the docker caller on oe-d reaches it across the mesh.
      const r = await cluster.edgectl(
        ['apply', '-f', '-'],
        [helloDeployment('oe-p'), helloService()].map((d) => JSON.stringify(d)).join('\n---\n'),
      );
      expect(r.code, r.stderr).toBe(0);
      await until('hello Ready', async () => isReady((await podsOf(cluster, 'hello'))[0]), 60_000, 250);
      // Each daemon's containers reach their node at their network's gateway, and are known by their address there.
      const callers = [
        { name: 'caller-podman', node: 'oe-p', gateway: '10.215.2.1' },
        { name: 'caller-docker', node: 'oe-d', gateway: '10.215.3.1' },
      ];
      const manifests = callers.map((c) =>
        callerPod(c.name, c.node, image, rig.registry.host, { [ALLOWED_OUTGOING_HOSTS_ANNOTATION]: REGISTRY_ADDRESS }),
      );
      const a = await cluster.edgectl(['apply', '-f', '-'], manifests.map((d) => JSON.stringify(d)).join('\n---\n'));
      expect(a.code, a.stderr).toBe(0);
      const reports = await Promise.all(callers.map((c) => callerReport(cluster, c.name, 90_000)));
      await remember();
      for (const [i, c] of callers.entries()) {
        const report = reports[i]!;
        expect(report.vars.HELLO_SERVICE_HOST).toBe(c.gateway);
        expect(report.vars.http_proxy).toMatch(new RegExp(`^http://${c.gateway.replace(/\./g, '\\.')}:[0-9]+$`));
        for (const answer of [report.byEnv, report.byName])
          expect(answer).toMatchObject({
            message: 'hello from Edgeplane',
            pod: expect.stringMatching(/^hello-/) as unknown,
          });
        expect(report.external).toMatch(/401 Unauthorized/); // its annotation allows the registry's host
        expect(report.denied).toMatch(/^HTTP\/1\.1 403 Forbidden/);
        expect(report.denied).toContain(
          `pod default/${c.name} does not allow it; list it in the pod annotation ${ALLOWED_OUTGOING_HOSTS_ANNOTATION}`,
        );
        expect((await cluster.edgectl(['delete', 'pod', c.name])).code).toBe(0);
      }
      expect((await cluster.edgectl(['delete', 'deployment', 'hello'])).code).toBe(0);
      expect((await cluster.edgectl(['delete', 'service', 'hello'])).code).toBe(0);
    }, 150_000);

    it('deleting the Deployment leaves no container, rootfs mount or cgroup in either daemon', async () => {
      expect((await cluster.edgectl(['delete', 'deployment', 'web'])).code).toBe(0);
      await deleteEverything(cluster); // and whatever an earlier, failed test left
      await until(
        'no pods left',
        async () => (await cluster.client.list(kind('pods'), { namespace: 'default' })).items.length === 0,
        40_000,
        200,
      );
      for (const n of nodes) {
        await until(
          `no container left in ${n.name}'s daemon`,
          async () => (await engineContainers(n.socket(), `io.edgeplane.node=${n.name}`)).length === 0,
          20_000,
          200,
        );
      }
      // …nor what the daemons made for them: rootfs mounts, cgroups.
      expect(mountsUnder(dir).filter((m) => m.endsWith('/merged'))).toEqual([]);
      expect([...engineIds].flatMap((id) => cgroupsNamed(id))).toEqual([]);
    }, 60_000);
  },
);
