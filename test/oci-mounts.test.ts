/**
 * Volumes in containers end to end, on runc (node om-r) and through the Engine API on podman (om-p)
 * and dockerd (om-d), each daemon started here with its own socket, storage and bridge: one pod per
 * node, run as uid 1000 with `fsGroup: 2000`, mounts a ConfigMap (whole, and one key by `subPath`), a
 * Secret (`defaultMode: 0440`), a disk emptyDir (read-write, and again `readOnly`) and a `medium:
 * Memory` emptyDir with `sizeLimit: 1Mi`. Inside each container: the files' content, read-only
 * mounts refusing writes, the fsGroup owning the volumes (the non-root user reads the 0440 Secret
 * through the group; a file made in the emptyDir joins the group), the Memory emptyDir a 1 MiB tmpfs
 * that refuses the second MiB (ENOSPC, from the kernel), and a ConfigMap change reaching the mounted
 * file in place (measured and printed) while the subPath copy keeps the old value.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, kind, until } from './support/cluster.js';
import { REGISTRY_TOOLS, missingTools, mountsUnder, stopGracefully } from './support/oci-cluster.js';
import { deleteLink, unmountUnder } from './support/oci-daemons.js';
import { EngineRig } from './support/engine-rig.js';
import { type PodLike, isReady } from './support/oci-manifests.js';
import type { KubeObject } from '../src/api/index.js';
import { defaultRunDir } from '../src/edge-node/config/index.js';

const missing = missingTools([...REGISTRY_TOOLS, 'podman', 'dockerd', 'containerd', 'runc', 'ip', 'mount']);
const BRIDGE = 'ep-tm';
const FS_GROUP = 2000;

describe.skipIf(missing.length > 0)(
  `volumes in containers: runc, podman, dockerd${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    let dir = '';
    const cluster = new Cluster(['--heartbeat-interval', '500ms']);
    let rig: EngineRig | undefined;
    let image = '';
    const NODES = ['om-r', 'om-p', 'om-d'];

    const configMap = (greeting: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'mounts-cfg' },
      data: { greeting, 'app.conf': 'mode=edge\n' },
    });
    const pod = (node: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `mounts-${node}` },
      spec: {
        runtimeClassName: 'oci',
        terminationGracePeriodSeconds: 1,
        nodeSelector: { 'kubernetes.io/hostname': node },
        securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: FS_GROUP },
        volumes: [
          { name: 'cfg', configMap: { name: 'mounts-cfg' } },
          { name: 'sec', secret: { secretName: 'mounts-sec', defaultMode: 0o440 } },
          { name: 'scratch', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
        ],
        containers: [
          {
            name: 'c',
            image,
            command: ['sleep', '3600'],
            volumeMounts: [
              { name: 'cfg', mountPath: '/etc/cfg' },
              { name: 'cfg', mountPath: '/etc/greeting', subPath: 'greeting' },
              { name: 'sec', mountPath: '/etc/sec', readOnly: true },
              { name: 'scratch', mountPath: '/scratch' },
              { name: 'scratch', mountPath: '/scratch-ro', readOnly: true },
              { name: 'mem', mountPath: '/mem' },
            ],
          },
        ],
      },
    });
    const exec = (node: string, script: string) =>
      cluster.edgectl(['exec', `mounts-${node}`, '--', 'sh', '-c', script]);
    const sh = async (node: string, script: string): Promise<string> => {
      const r = await exec(node, script);
      expect(r.code, `${node}: ${script}: ${r.stdout}${r.stderr}`).toBe(0);
      return r.stdout;
    };

    beforeAll(async () => {
      // Short: podman refuses a runroot path over 50 characters.
      dir = mkdtempSync(join(tmpdir(), 'edge-mnt-'));
      rig = await EngineRig.start({
        dir,
        registryAddress: '127.0.27.1',
        podman: { bridge: 'ep-tmp', subnet: '10.227.2.0/24' },
        docker: { bridge: 'ep-tmd', subnet: '10.227.3.0/24' },
      });
      image = rig.image;
      await cluster.start([
        {
          name: 'om-r',
          address: '127.0.27.2',
          args: [
            '--oci-runtime',
            'runc',
            '--oci-bridge',
            BRIDGE,
            '--oci-pod-cidr',
            '10.227.1.0/24',
            '--oci-registry-config',
            rig.auth,
          ],
        },
        {
          name: 'om-p',
          address: '127.0.27.3',
          args: rig.nodeArgs('podman'),
        },
        {
          name: 'om-d',
          address: '127.0.27.4',
          args: rig.nodeArgs('docker'),
        },
      ]);
    }, 180_000);

    afterAll(async () => {
      // The nodes' run dirs (on /dev/shm) hold the sized tmpfs of the Memory emptyDirs: none may stay.
      const runDirs = NODES.filter((n) => cluster.nodes.has(n)).map((n) => defaultRunDir(cluster.node(n).dataDir));
      await stopGracefully(cluster, {
        runcRoots: [join(cluster.node('om-r').dataDir, 'runtime-oci', 'runc')],
        netnsPrefixes: [`edge-${BRIDGE}-`],
      });
      deleteLink(BRIDGE);
      for (const r of runDirs) {
        unmountUnder(r);
        rmSync(r, { recursive: true, force: true });
      }
      await rig?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 90_000);

    it('mounts ConfigMap, Secret and emptyDir volumes with subPath, readOnly, fsGroup and a sized Memory tmpfs', async () => {
      await cluster.client.create(kind('configmaps'), configMap('hello v1\n'), { namespace: 'default' });
      await cluster.client.create(
        kind('secrets'),
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'mounts-sec' },
          type: 'Opaque',
          stringData: { token: 'mounted-token-value' },
        },
        { namespace: 'default' },
      );
      for (const n of NODES) await cluster.client.create(kind('pods'), pod(n), { namespace: 'default' });
      for (const n of NODES) {
        await until(
          `mounts-${n} running`,
          async () => isReady(await cluster.client.get<PodLike>(kind('pods'), 'default', `mounts-${n}`)),
          120_000,
          250,
        );
        // Content, and the user: uid 1000, gid 3000, the fsGroup among its groups.
        expect(await sh(n, 'cat /etc/cfg/greeting /etc/greeting /etc/cfg/app.conf'), n).toBe(
          'hello v1\nhello v1\nmode=edge\n',
        );
        const ids = (await sh(n, 'echo $(id -u) $(id -g) $(id -G)')).trim().split(' ');
        expect(ids.slice(0, 2), n).toEqual(['1000', '3000']);
        expect(ids, n).toContain(String(FS_GROUP));
        // The Secret: 0440, group fsGroup; the non-root user reads it through the group.
        expect(await sh(n, 'stat -L -c "%g %a" /etc/sec/token; cat /etc/sec/token'), n).toBe(
          `${FS_GROUP} 440\nmounted-token-value`,
        );
        // Read-only mounts refuse writes: the projections and the readOnly emptyDir mount.
        for (const path of ['/etc/cfg/new', '/etc/sec/new', '/scratch-ro/new']) {
          const w = await exec(n, `echo x > ${path}`);
          expect(w.code, `${n}: ${path}`).not.toBe(0);
          expect(w.stderr, `${n}: ${path}`).toMatch(/Read-only file system/);
        }
        // The emptyDir: setgid, the fsGroup's; a new file joins the group; the readOnly mount sees it.
        expect(
          await sh(n, 'echo hi > /scratch/f; stat -c "%A %g" /scratch; stat -c %g /scratch/f; cat /scratch-ro/f'),
          n,
        ).toBe(`drwxrwsrwx ${FS_GROUP}\n${FS_GROUP}\nhi\n`);
        // The Memory emptyDir: a tmpfs of 1 MiB; the kernel refuses the second MiB.
        expect(await sh(n, 'grep " /mem " /proc/mounts'), n).toMatch(/^tmpfs \/mem tmpfs .*size=1024k/);
        expect(await sh(n, 'dd if=/dev/zero of=/mem/a bs=1024 count=512 2>/dev/null && echo ok'), n).toBe('ok\n');
        const over = await exec(n, 'dd if=/dev/zero of=/mem/b bs=1024 count=1024');
        expect(over.code, n).not.toBe(0);
        expect(over.stderr, n).toMatch(/No space left on device/);
      }
    }, 300_000);

    it('updates mounted ConfigMap files in place on every runtime; the subPath copy keeps its value', async () => {
      const cm = await cluster.client.get<KubeObject>(kind('configmaps'), 'default', 'mounts-cfg');
      const changedAt = Date.now();
      await cluster.client.update(kind('configmaps'), {
        ...configMap('hello v2\n'),
        metadata: { ...cm.metadata, name: 'mounts-cfg' },
      });
      for (const n of NODES) {
        await until(
          `the new greeting in mounts-${n}`,
          async () => (await sh(n, 'cat /etc/cfg/greeting')) === 'hello v2\n',
          30_000,
          100,
        );
        console.log(
          `[oci-mounts] ${n}: ConfigMap change seen in the container's mounted file ${Date.now() - changedAt} ms after the API write (nodes checked one after another by edgectl exec: each figure includes the checks of the nodes before it)`,
        );
        expect(await sh(n, 'cat /etc/greeting'), n).toBe('hello v1\n');
      }
    }, 120_000);

    it('deleting the pods unmounts their sized tmpfs and removes their volumes from the node', async () => {
      for (const n of NODES) await cluster.client.delete(kind('pods'), 'default', `mounts-${n}`);
      for (const n of NODES) {
        const runDir = defaultRunDir(cluster.node(n).dataDir);
        await until(
          `mounts-${n} gone, its tmpfs unmounted`,
          async () => {
            const left = await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default' });
            return !left.items.some((p) => p.metadata.name === `mounts-${n}`) && mountsUnder(runDir).length === 0;
          },
          60_000,
          250,
        );
      }
    }, 90_000);
  },
);
