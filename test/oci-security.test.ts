/**
 * Container security end to end, on a real hub and a real edge-node driving runc (`--oci-pids-limit
 * 40`), with a busybox image from a real registry: securityContext reaches the container (uid and
 * gid, a read-only root, no-new-privileges), the RuntimeDefault seccomp profile is on by default and
 * blocks what Docker's blocks (a user namespace), `Unconfined` and `privileged` lift it where the
 * namespace allows, the pids limit stops a fork loop, runAsNonRoot with a root image is a
 * CreateContainerConfigError, and Pod Security admission refuses a privileged pod in a baseline
 * namespace with 403 naming the violation (its Deployment's ReplicaSet gets FailedCreate). The same
 * securityContext then goes through the Engine API adapter to podman and dockerd.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, until, kind } from './support/cluster.js';
import { REGISTRY_TOOLS, missingTools, stopGracefully } from './support/oci-cluster.js';
import { deleteLink } from './support/oci-daemons.js';
import { EngineRig } from './support/engine-rig.js';
import { busyboxImage, ociIndex } from './support/oci-images.js';
import { type EventLike, type PodLike, cs0, isReady } from './support/oci-manifests.js';
import { TestRegistry } from './support/registry.js';
import { EdgeError, type KubeObject } from '../src/api/index.js';

const missing = missingTools([...REGISTRY_TOOLS, 'runc', 'ip', 'mount']);
const BRIDGE = 'ep-ts';
const NODE = {
  name: 'sec-1',
  address: '127.0.23.2',
  args: ['--oci-runtime', 'runc', '--oci-bridge', BRIDGE, '--oci-pod-cidr', '10.223.1.0/24', '--oci-pids-limit', '40'],
};
const LAB = 'lab';

describe.skipIf(missing.length > 0)(
  `container securityContext and Pod Security via runc${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    let dir = '';
    const cluster = new Cluster(['--heartbeat-interval', '500ms']);
    let registry: TestRegistry;
    let image = '';

    const podManifest = (
      name: string,
      securityContext: Record<string, unknown> | undefined,
      podSecurity?: Record<string, unknown>,
    ): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        runtimeClassName: 'oci',
        terminationGracePeriodSeconds: 1,
        ...(podSecurity ? { securityContext: podSecurity } : {}),
        containers: [{ name: 'c', image, command: ['sleep', '3600'], ...(securityContext ? { securityContext } : {}) }],
      },
    });
    const create = (ns: string, manifest: KubeObject): Promise<unknown> =>
      cluster.client.create(kind('pods'), manifest, { namespace: `${ns}` });
    const getPod = async (ns: string, name: string): Promise<PodLike> =>
      await cluster.client.get<PodLike>(kind('pods'), `${ns}`, `${name}`);
    const running = (ns: string, name: string): Promise<PodLike> =>
      until(
        `pod ${ns}/${name} running`,
        async () => {
          const p = await getPod(ns, name);
          return isReady(p) ? p : undefined;
        },
        60_000,
        250,
      );
    const exec = (ns: string, pod: string, script: string) =>
      cluster.edgectl(['exec', '-n', ns, pod, '--', 'sh', '-c', script]);

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'edge-oci-security-'));
      registry = await TestRegistry.start({
        address: '127.0.23.1',
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
      await cluster.start([NODE]);
      await cluster.client.create(kind('namespaces'), {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: LAB, labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
      });
    }, 120_000);

    afterAll(async () => {
      await stopGracefully(cluster, {
        runcRoots: [join(cluster.node(NODE.name).dataDir, 'runtime-oci', 'runc')],
        netnsPrefixes: [`edge-${BRIDGE}-`],
      });
      deleteLink(BRIDGE);
      await registry?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('runs a container as the uid/gid asked, with a read-only root, no-new-privileges and the default seccomp profile', async () => {
      await create(
        'default',
        podManifest(
          'confined',
          { runAsUser: 1000, runAsGroup: 3000, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          { supplementalGroups: [4000] },
        ),
      );
      await running('default', 'confined');
      const ids = await exec('default', 'confined', 'echo $(id -u) $(id -g) $(id -G)');
      expect(ids.code, ids.stderr).toBe(0);
      expect(ids.stdout.trim()).toBe('1000 3000 3000 4000');
      const write = await exec('default', 'confined', 'echo x > /written');
      expect(write.code).not.toBe(0);
      expect(write.stderr).toMatch(/Read-only file system/);
      const status = await exec('default', 'confined', "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status");
      expect(status.stdout).toMatch(/^NoNewPrivs:\s+1$/m);
      expect(status.stdout).toMatch(/^Seccomp:\s+2$/m);
      expect(status.stdout).toMatch(/^CapEff:\s+0+$/m);
    }, 90_000);

    it('filters system calls by default as Docker does (no user namespaces); Unconfined lifts it where the namespace allows', async () => {
      await create('default', podManifest('default-seccomp', undefined));
      const refused = await create(
        'default',
        podManifest('unconfined', { seccompProfile: { type: 'Unconfined' } }),
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(EdgeError);
      expect((refused as EdgeError).httpStatus).toBe(403);
      expect((refused as EdgeError).code).toBe('Forbidden');
      expect((refused as EdgeError).message).toBe(
        'pods "unconfined" is forbidden: violates PodSecurity "baseline:latest": seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")',
      );
      await create(LAB, podManifest('unconfined', { seccompProfile: { type: 'Unconfined' } }));
      await running('default', 'default-seccomp');
      await running(LAB, 'unconfined');
      const filtered = await exec('default', 'default-seccomp', "grep '^Seccomp:' /proc/self/status; unshare -U true");
      expect(filtered.stdout).toMatch(/^Seccomp:\s+2$/m);
      expect(filtered.code).not.toBe(0);
      expect(filtered.stderr).toMatch(/Operation not permitted/);
      const open = await exec(
        LAB,
        'unconfined',
        "grep '^Seccomp:' /proc/self/status; unshare -U true && echo userns-ok",
      );
      expect(open.stdout).toMatch(/^Seccomp:\s+0$/m);
      expect(open.code, open.stderr).toBe(0);
      expect(open.stdout).toMatch(/userns-ok/);
    }, 90_000);

    it('gives a privileged container every capability of the node and no filter', async () => {
      await create(LAB, podManifest('priv', { privileged: true }));
      await running(LAB, 'priv');
      const status = await exec(LAB, 'priv', "grep -E '^(Seccomp|CapEff|NoNewPrivs):' /proc/self/status");
      expect(status.code, status.stderr).toBe(0);
      const hostBounding = /^CapBnd:\s+([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
      expect(status.stdout).toMatch(new RegExp(`^CapEff:\\s+${hostBounding}$`, 'm'));
      expect(status.stdout).toMatch(/^Seccomp:\s+0$/m);
      expect(status.stdout).toMatch(/^NoNewPrivs:\s+0$/m);
    }, 90_000);

    it('limits the processes of a container: pids.max from --oci-pids-limit, a fork loop stops there', async () => {
      await running('default', 'default-seccomp');
      const max = await exec(
        'default',
        'default-seccomp',
        'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max',
      );
      expect(max.stdout.trim()).toBe('40');
      // Short sleeps: the cgroup is full only for a moment, so the pod stays usable afterwards.
      const bomb = await exec('default', 'default-seccomp', 'for i in $(seq 80); do sleep 3 & done; wait');
      expect(bomb.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    }, 60_000);

    it('refuses runAsNonRoot with an image that runs as root (CreateContainerConfigError, as the kubelet)', async () => {
      await create('default', podManifest('nonroot', { runAsNonRoot: true }));
      const p = await until(
        'the container waiting with CreateContainerConfigError',
        async () => {
          const x = await getPod('default', 'nonroot');
          return cs0(x)?.state?.waiting?.reason === 'CreateContainerConfigError' ? x : undefined;
        },
        60_000,
        250,
      );
      expect(cs0(p)?.state?.waiting?.message).toMatch(/container has runAsNonRoot and image will run as root/);
      // With a uid given the same image runs.
      await create('default', podManifest('nonroot-uid', { runAsNonRoot: true, runAsUser: 65534 }));
      await running('default', 'nonroot-uid');
    }, 90_000);

    it('refuses a privileged pod in a baseline namespace with 403 naming every violation; its Deployment gets FailedCreate', async () => {
      const res = await cluster.hubFetch('/api/v1/namespaces/default/pods', {
        method: 'POST',
        headers: { authorization: `Bearer ${cluster.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(podManifest('bad', { privileged: true, capabilities: { add: ['SYS_ADMIN'] } })),
      });
      expect(res.status).toBe(403);
      const status = (await res.json()) as { kind: string; reason: string; message: string };
      expect(status).toMatchObject({ kind: 'Status', reason: 'Forbidden' });
      expect(status.message).toBe(
        'pods "bad" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "c" must not include "SYS_ADMIN" in securityContext.capabilities.add), privileged (container "c" must not set securityContext.privileged=true)',
      );
      const deploy = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'privdep' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'privdep' } },
          template: {
            metadata: { labels: { app: 'privdep' } },
            spec: (podManifest('x', { privileged: true }) as { spec: unknown }).spec,
          },
        },
      };
      await cluster.client.create(kind('deployments'), deploy, { namespace: 'default' });
      const event = await until(
        'a FailedCreate event naming the violation',
        async () => {
          const list = await cluster.client.list<EventLike>(kind('events'), { namespace: 'default' });
          return list.items.find(
            (e) =>
              e.reason === 'FailedCreate' &&
              /violates PodSecurity "baseline:latest": privileged \(container "c" must not set securityContext\.privileged=true\)/.test(
                e.message ?? '',
              ),
          );
        },
        30_000,
        250,
      );
      expect(event.involvedObject.name).toMatch(/^privdep-/);
      // A malformed level on a namespace is refused, naming the label.
      const bad = await cluster.hubFetch('/api/v1/namespaces', {
        method: 'POST',
        headers: { authorization: `Bearer ${cluster.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'typo', labels: { 'pod-security.kubernetes.io/enforce': 'restrictd' } },
        }),
      });
      expect(bad.status).toBe(422);
      expect(await bad.text()).toContain('metadata.labels[pod-security.kubernetes.io/enforce]');
      await cluster.client.delete(kind('deployments'), 'default', 'privdep');
    }, 60_000);
  },
);

const ENGINE_MISSING = missingTools([...REGISTRY_TOOLS, 'podman', 'dockerd', 'containerd', 'runc', 'ip']);

describe.skipIf(ENGINE_MISSING.length > 0)(
  `container securityContext via the Engine API (podman, dockerd)${ENGINE_MISSING.length ? ` (skipped: missing ${ENGINE_MISSING.join(', ')})` : ''}`,
  () => {
    let dir = '';
    const cluster = new Cluster(['--heartbeat-interval', '500ms']);
    let rig: EngineRig;
    let image = '';
    const NODES = [
      { name: 'sec-p', address: '127.0.23.11' },
      { name: 'sec-d', address: '127.0.23.12' },
    ];

    const pod = (
      name: string,
      node: string,
      securityContext: Record<string, unknown>,
      podSecurity?: Record<string, unknown>,
    ): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        runtimeClassName: 'oci',
        terminationGracePeriodSeconds: 1,
        nodeSelector: { 'kubernetes.io/hostname': node },
        ...(podSecurity ? { securityContext: podSecurity } : {}),
        containers: [{ name: 'c', image, command: ['sleep', '3600'], securityContext }],
      },
    });
    const getPod = async (name: string): Promise<PodLike> =>
      await cluster.client.get<PodLike>(kind('pods'), 'default', `${name}`);
    const exec = (name: string, script: string) => cluster.edgectl(['exec', name, '--', 'sh', '-c', script]);

    beforeAll(async () => {
      // Short: podman refuses a runroot path over 50 characters.
      dir = mkdtempSync(join(tmpdir(), 'edge-sec-'));
      rig = await EngineRig.start({
        dir,
        registryAddress: '127.0.23.10',
        podman: { bridge: 'ep-tsp', subnet: '10.223.2.0/24' },
        docker: { bridge: 'ep-tsd', subnet: '10.223.3.0/24' },
      });
      image = rig.image;
      await cluster.start([
        {
          ...NODES[0]!,
          args: [...rig.nodeArgs('podman'), '--oci-pids-limit', '40'],
        },
        {
          ...NODES[1]!,
          args: [...rig.nodeArgs('docker'), '--oci-pids-limit', '40'],
        },
      ]);
    }, 180_000);

    afterAll(async () => {
      await stopGracefully(cluster);
      await rig?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 90_000);

    it("applies user, groups, read-only root, no-new-privileges, the daemon's seccomp profile and the pids limit on both daemons", async () => {
      for (const n of NODES) {
        await cluster.client.create(
          kind('pods'),
          pod(
            `confined-${n.name}`,
            n.name,
            { runAsUser: 1000, runAsGroup: 3000, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            { supplementalGroups: [4000] },
          ),
          { namespace: 'default' },
        );
        await cluster.client.create(kind('pods'), pod(`nonroot-${n.name}`, n.name, { runAsNonRoot: true }), {
          namespace: 'default',
        });
      }
      for (const n of NODES) {
        await until(`confined-${n.name} running`, async () => isReady(await getPod(`confined-${n.name}`)), 90_000, 250);
        const ids = await exec(`confined-${n.name}`, 'echo $(id -u) $(id -g) $(id -G)');
        expect(ids.code, `${n.name}: ${ids.stderr}`).toBe(0);
        expect(ids.stdout.trim().split(' ').slice(0, 2), n.name).toEqual(['1000', '3000']);
        expect(ids.stdout, n.name).toMatch(/ 4000\b/);
        const write = await exec(`confined-${n.name}`, 'echo x > /written');
        expect(write.code, n.name).not.toBe(0);
        expect(write.stderr, n.name).toMatch(/Read-only file system/);
        const status = await exec(
          `confined-${n.name}`,
          "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max",
        );
        expect(status.stdout, n.name).toMatch(/^NoNewPrivs:\s+1$/m);
        expect(status.stdout, n.name).toMatch(/^Seccomp:\s+2$/m);
        expect(status.stdout, n.name).toMatch(/^40$/m);
        const refused = await until(
          `nonroot-${n.name} refused`,
          async () => {
            const p = await getPod(`nonroot-${n.name}`);
            return cs0(p)?.state?.waiting?.reason === 'CreateContainerConfigError' ? p : undefined;
          },
          60_000,
          250,
        );
        expect(cs0(refused)?.state?.waiting?.message, n.name).toMatch(
          /container has runAsNonRoot and image will run as root/,
        );
      }
    }, 240_000);
  },
);
