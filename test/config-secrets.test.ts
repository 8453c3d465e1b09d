/**
 * ConfigMaps and Secrets end to end (issue 15), with a real hub, a real edge-node running containers
 * through runc, and a real registry (Debian's docker-registry behind token auth): a container
 * Deployment pulled from a private repository with `imagePullSecrets`, configured by env, envFrom and
 * mounted configMap/secret volumes; a changed ConfigMap and a changed Secret reach the mounted files
 * of the running container within seconds (measured and printed); a pod referencing a missing
 * ConfigMap waits in CreateContainerConfigError, then starts when it is created; no secret value is
 * found by a grep of the node's data dir; a Wasm guest reaches no path outside its mounts (by `..`,
 * an absolute path, or a symlink it plants in its emptyDir); and the node, restarted while the hub is
 * down, brings its Secret-mounting pod back from its own encrypted copy.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/api/index.js';
import { Cluster, ROOT, kind, until } from './support/cluster.js';
import { REGISTRY_TOOLS, containerPid, missingTools, stopGracefully } from './support/oci-cluster.js';
import { deleteLink } from './support/oci-daemons.js';
import { busyboxImage, wasmArtifact } from './support/oci-images.js';
import { type PodLike, cs0, eventsOf, isReady, podsOf } from './support/oci-manifests.js';
import { TestRegistry } from './support/registry.js';

const missing = missingTools([...REGISTRY_TOOLS, 'runc', 'ip', 'mount']);
const BRIDGE = 'ep-cfg';
const NODE = {
  name: 'cfg-1',
  address: '127.0.15.40',
  args: ['--oci-runtime', 'runc', '--oci-bridge', BRIDGE, '--oci-pod-cidr', '10.215.40.0/24'],
};
/** Values a grep must never find on the node's disk (random: nothing else can contain them). */
const API_KEY_1 = `key-${randomBytes(12).toString('hex')}`;
const API_KEY_2 = `key-${randomBytes(12).toString('hex')}`;
const REGISTRY_PASSWORD = `pw-${randomBytes(12).toString('hex')}`;

const FSPROBE = join(ROOT, 'src/runtime-wasm/testdata/fsprobe/dist/fsprobe.wasm');

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const json = (...docs: object[]): string => docs.map((d) => JSON.stringify(d)).join('\n---\n');

/** Every file under `root` that contains `needle` (as bytes), following no links. */
function grepDir(root: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && statSync(p).size < 256 * 1024 * 1024 && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(root);
  return hits;
}

describe.skipIf(missing.length > 0)(
  `ConfigMaps and Secrets on a container node${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-config-secrets-'));
    const runDir = mkdtempSync('/dev/shm/edge-config-secrets-run-');
    const node = { ...NODE, args: [...NODE.args, '--run-dir', runDir] };
    const cluster = new Cluster(['--node-grace-period', '30s', '--heartbeat-interval', '500ms']);
    let registry: TestRegistry;
    let image = '';
    const runcRoot = (): string => join(cluster.node(node.name).dataDir, 'runtime-oci', 'runc');
    const exec = (pod: string, script: string) => cluster.edgectl(['exec', pod, '--', 'sh', '-c', script]);
    const readyPod = (app: string): Promise<PodLike> =>
      until(`a Ready ${app} pod`, async () => (await podsOf(cluster, app)).find(isReady), 90_000, 250);

    beforeAll(async () => {
      registry = await TestRegistry.start({
        address: '127.0.15.41',
        dir: join(dir, 'registry'),
        users: { ci: REGISTRY_PASSWORD },
      });
      await registry.push('private/busybox', '1.0', await busyboxImage('amd64'));
      // A Wasm command (runtime-wasm's test guest) that reads files and wasi:config keys, private too.
      // The C test guest is built on demand (gitignored dist, like every testdata component).
      execFileSync(process.execPath, [join(ROOT, 'scripts/build-examples.mjs'), join(FSPROBE, '../..')], {
        stdio: 'pipe',
        env: { ...process.env, CI: 'true' },
      });
      await registry.push('private/fsprobe', '1.0', wasmArtifact(readFileSync(FSPROBE)));
      image = `${registry.host}/private/busybox:1.0`;
      await cluster.start([node]);
    }, 120_000);

    afterAll(async () => {
      await stopGracefully(cluster, { runcRoots: [runcRoot()], netnsPrefixes: [`edge-${BRIDGE}-`] });
      deleteLink(BRIDGE);
      await registry?.stop();
      rmSync(dir, { recursive: true, force: true });
      rmSync(runDir, { recursive: true, force: true });
    }, 60_000);

    const configMap = (greeting: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config' },
      data: { greeting, 'app.conf': `mode=edge\ngreeting=${greeting}\n` },
    });
    const secret = (apiKey: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app-secret' },
      type: 'Opaque',
      data: { apiKey: b64(apiKey) },
    });
    const regcred = () => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred' },
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': b64(
          JSON.stringify({ auths: { [registry.host]: { auth: b64(`ci:${REGISTRY_PASSWORD}`) } } }),
        ),
      },
    });
    const deployment = (name: string, extra: { env?: object[]; volumes?: object[]; mounts?: object[] } = {}) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: {
            runtimeClassName: 'oci',
            terminationGracePeriodSeconds: 1,
            imagePullSecrets: [{ name: 'regcred' }],
            volumes: extra.volumes ?? [],
            containers: [
              {
                name: 'httpd',
                image,
                ports: [{ containerPort: 80 }],
                readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 },
                resources: { limits: { memory: '64Mi', cpu: '500m' } },
                env: extra.env ?? [],
                volumeMounts: extra.mounts ?? [],
              },
            ],
          },
        },
      },
    });

    it('runs a private image with imagePullSecrets, configured by env, envFrom and mounted files', async () => {
      const web = deployment('cfg-web', {
        env: [
          { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'greeting' } } },
          { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'apiKey' } } },
        ],
        volumes: [
          { name: 'config', configMap: { name: 'app-config' } },
          { name: 'secret', secret: { secretName: 'app-secret', defaultMode: 0o400 } },
        ],
        mounts: [
          { name: 'config', mountPath: '/etc/app' },
          { name: 'secret', mountPath: '/etc/secret', readOnly: true },
        ],
      });
      (web.spec.template.spec.containers[0] as Record<string, unknown>).envFrom = [
        { configMapRef: { name: 'app-config' }, prefix: 'CFG_' },
      ];
      const r = await cluster.edgectl(
        ['apply', '-f', '-'],
        json(configMap('hello-1'), secret(API_KEY_1), regcred(), web),
      );
      expect(r.code, r.stderr).toBe(0);
      const pod = await readyPod('cfg-web');
      const name = pod.metadata.name;
      const env = await exec(name, 'echo "$GREETING|$API_KEY|$CFG_greeting"');
      expect(env.stdout.trim(), env.stderr).toBe(`hello-1|${API_KEY_1}|hello-1`);
      const files = await exec(name, 'cat /etc/app/greeting; echo; cat /etc/secret/apiKey; echo; ls -a /etc/app');
      expect(files.stdout).toContain(`hello-1\n${API_KEY_1}\n`);
      expect(files.stdout).toContain('..data');
      const ro = await exec(name, 'echo x > /etc/secret/apiKey');
      expect(ro.code).not.toBe(0);
      expect((await eventsOf(cluster, name)).some((e) => e.reason === 'Pulled')).toBe(true);
    }, 120_000);

    it('a changed ConfigMap and a changed Secret show up in the mounted files within seconds', async () => {
      const pod = await readyPod('cfg-web');
      const name = pod.metadata.name;
      const pid = await until('the container', () => containerPid({ runcRoot: runcRoot() }, pod.metadata.uid), 10_000);
      // From the API write to the file seen in the container's own mount namespace (no exec round trips).
      const measure = async (
        type: 'configmaps' | 'secrets',
        change: { metadata: { name: string } },
        file: string,
        expected: string,
      ): Promise<number> => {
        const current = await cluster.client.get(kind(type), 'default', change.metadata.name);
        const start = Date.now();
        await cluster.client.update(kind(type), {
          ...change,
          metadata: { ...change.metadata, namespace: 'default', resourceVersion: current.metadata?.resourceVersion },
        } as KubeObject);
        await until(
          `${file} to change inside the container`,
          () => readFileSync(`/proc/${pid}/root${file}`, 'utf8').trim() === expected,
          20_000,
          20,
        );
        return Date.now() - start;
      };
      const cmMs = await measure('configmaps', configMap('hello-2'), '/etc/app/greeting', 'hello-2');
      const secMs = await measure('secrets', secret(API_KEY_2), '/etc/secret/apiKey', API_KEY_2);
      // What the container's own tools see too.
      expect((await exec(name, 'cat /etc/app/greeting; echo; cat /etc/secret/apiKey')).stdout).toBe(
        `hello-2\n${API_KEY_2}`,
      );
      console.log(
        `[config-secrets] ConfigMap change visible in mounted file after ${cmMs} ms; Secret after ${secMs} ms`,
      );
      expect(cmMs).toBeLessThan(20_000);
      // Env does not change (as in Kubernetes), and the container was not restarted.
      expect((await exec(name, 'echo $GREETING')).stdout.trim()).toBe('hello-1');
      expect(cs0((await podsOf(cluster, 'cfg-web'))[0])?.restartCount).toBe(0);
    }, 60_000);

    it('a pod referencing a missing ConfigMap waits in CreateContainerConfigError, then starts', async () => {
      const late = deployment('cfg-late', {
        env: [{ name: 'LATE', valueFrom: { configMapKeyRef: { name: 'late-config', key: 'v' } } }],
      });
      expect((await cluster.edgectl(['apply', '-f', '-'], json(late))).code).toBe(0);
      const waiting = await until(
        'cfg-late waiting in CreateContainerConfigError',
        async () => {
          const p = (await podsOf(cluster, 'cfg-late'))[0];
          return cs0(p)?.state?.waiting?.reason === 'CreateContainerConfigError' ? p : undefined;
        },
        60_000,
        250,
      );
      expect(cs0(waiting)?.state?.waiting?.message).toBe('configmap "late-config" not found');
      await until(
        'the event naming the missing ConfigMap',
        async () =>
          (await eventsOf(cluster, waiting.metadata.name)).some(
            (e) => e.reason === 'Failed' && /configmap "late-config" not found/.test(e.message ?? ''),
          ),
        20_000,
        250,
      );
      const created = await cluster.edgectl(
        ['apply', '-f', '-'],
        json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late-config' }, data: { v: 'arrived' } }),
      );
      expect(created.code, created.stderr).toBe(0);
      const pod = await readyPod('cfg-late');
      expect((await exec(pod.metadata.name, 'echo $LATE')).stdout.trim()).toBe('arrived');
    }, 120_000);

    it('a Wasm Deployment (private artifact, imagePullSecrets) reads its mounted files, env and wasi:config keys', async () => {
      const wasm = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'cfg-wasm' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'cfg-wasm' } },
          template: {
            metadata: { labels: { app: 'cfg-wasm' } },
            spec: {
              runtimeClassName: 'wasm',
              imagePullSecrets: [{ name: 'regcred' }],
              volumes: [
                { name: 'config', configMap: { name: 'app-config' } },
                { name: 'secret', secret: { secretName: 'app-secret' } },
                { name: 'scratch', emptyDir: {} },
              ],
              containers: [
                {
                  name: 'probe',
                  image: `${registry.host}/private/fsprobe:1.0`,
                  command: ['fsprobe', 'sleep', '3600'],
                  envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'CFG_' }],
                  volumeMounts: [
                    { name: 'config', mountPath: '/etc/app' },
                    { name: 'secret', mountPath: '/etc/secret' },
                    { name: 'scratch', mountPath: '/scratch' },
                    // One key as a file of its own (subPath naming a file): a virtual preopen dir.
                    { name: 'config', mountPath: '/etc/conf/greeting.txt', subPath: 'greeting' },
                  ],
                },
              ],
            },
          },
        },
      };
      const r = await cluster.edgectl(['apply', '-f', '-'], json(wasm));
      expect(r.code, r.stderr).toBe(0);
      const pod = await until(
        'a running cfg-wasm pod',
        async () => (await podsOf(cluster, 'cfg-wasm')).find((p) => cs0(p)?.state?.running !== undefined),
        90_000,
        250,
      );
      const probe = (...args: string[]) => cluster.edgectl(['exec', pod.metadata.name, '--', 'fsprobe', ...args]);
      const file = await probe('cat', '/etc/app/greeting');
      expect(file.stdout, file.stderr).toContain('hello-2');
      expect((await probe('cat', '/etc/secret/apiKey')).stdout).toContain(API_KEY_2);
      expect((await probe('config', 'CFG_greeting')).stdout).toContain('hello-2');
      // The file mounted by subPath, alone in its directory.
      expect((await probe('cat', '/etc/conf/greeting.txt')).stdout).toContain('hello-2');
      expect((await probe('ls', '/etc/conf')).stdout).toBe('greeting.txt\n');
      // A change reaches the guest's mounted file too.
      expect((await cluster.edgectl(['apply', '-f', '-'], json(configMap('hello-3')))).code).toBe(0);
      await until(
        'the new greeting in the Wasm guest',
        async () => (await probe('cat', '/etc/app/greeting')).stdout.includes('hello-3'),
        20_000,
        200,
      );
      // ...but not the subPath file: as in Kubernetes, a subPath mount keeps what it started with.
      expect((await probe('cat', '/etc/conf/greeting.txt')).stdout).toContain('hello-2');
      // No path outside the mounts: not by `..`, not absolute, not through a symlink planted in the
      // writable emptyDir (whether or not the host lets the guest make it).
      await probe('symlink', '../../../../../../../../etc', '/scratch/up');
      await probe('symlink', '/etc', '/scratch/abs');
      for (const path of [
        '/etc/app/../../../../etc/passwd',
        '/etc/passwd',
        '/scratch/up/passwd',
        '/scratch/abs/passwd',
      ]) {
        const r = await probe('cat', path);
        expect(r.code, path).not.toBe(0);
        expect(r.stdout, path).toMatch(/^error: /);
        expect(r.stdout, path).not.toMatch(/root:/);
      }
    }, 150_000);

    it("no secret value is on the node's disk (grep of its data dir)", () => {
      const dataDir = cluster.node(node.name).dataDir;
      for (const value of [API_KEY_1, API_KEY_2, REGISTRY_PASSWORD, b64(API_KEY_2), b64(`ci:${REGISTRY_PASSWORD}`)])
        expect(grepDir(dataDir, value), `files holding ${value.slice(0, 6)}…`).toEqual([]);
      // The node's copies exist, sealed.
      expect(
        readdirSync(join(dataDir, 'config', 'objects')).some((f) => f.startsWith('Secret_default_app-secret')),
      ).toBe(true);
    });

    it('a node restarted while the hub is down brings back its pod that mounts a Secret', async () => {
      const pod = await readyPod('cfg-web');
      await cluster.hub!.kill('SIGKILL');
      const n = cluster.node(node.name);
      await n.proc.kill('SIGTERM');
      expect(await containerPid({ runcRoot: runcRoot() }, pod.metadata.uid)).toBeUndefined();
      await cluster.startNode(node);
      const pid = await until(
        'the pod running again without the hub',
        () => containerPid({ runcRoot: runcRoot() }, pod.metadata.uid),
        60_000,
        250,
      );
      // Read through the container's own root: the Secret's file, from the node's encrypted copy.
      await until(
        'the mounted Secret inside the restarted container',
        () => {
          const p = `/proc/${pid}/root/etc/secret/apiKey`;
          return existsSync(p) && readFileSync(p, 'utf8') === API_KEY_2;
        },
        20_000,
        100,
      );
      await cluster.startHub();
      await cluster.waitNodesReady([node.name], 60_000);
    }, 150_000);
  },
);
