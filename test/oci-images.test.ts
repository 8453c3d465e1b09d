/**
 * Images and the runc adapter without a cluster: a real registry behind token auth (and a proxy in
 * front of it that can corrupt what it relays), the registry client, the layer snapshots, and
 * containers run by runc through the `Runtime` interface — platform resolution, digest
 * verification, private repositories, Wasm OCI artifacts, whiteouts and permissions, the layer cache,
 * the image's user, OOM kills, exec deadlines, and a clean slate after removal. Then Wasm pods whose
 * image is a tag in that kind of registry, end to end: a real hub and node, a NodePort, the pull
 * errors a pod shows, and the node's cache of such images across a restart without the registry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImagePullError, TimeoutError, type KubeObject } from '../src/api/index.js';
import type { ContainerConfig, ContainerEvent, PulledImage } from '../src/api/index.js';
import { silentLogger } from '../src/platform/index.js';
import { RegistryClient, RegistryCredentials, pullWasmArtifact } from '../src/distribution/index.js';
import { OciRuntime, PodNetwork, RuncAdapter } from '../src/runtime-oci/index.js';
import { Cluster, ROOT, freePort, httpGet, until, watchCollection, kind } from './support/cluster.js';
import { wasmServiceManifest } from './support/manifests.js';
import { type PodLike, cs0, eventsOf, isReady, podsOf } from './support/oci-manifests.js';
import { REGISTRY_TOOLS, forceClean, missingTools, runcLeftovers } from './support/oci-cluster.js';
import { deleteLink } from './support/oci-daemons.js';
import { LONG_PATH, busyboxBaseLayer, busyboxImage, ociImage, ociIndex, wasmArtifact } from './support/oci-images.js';
import { tar } from './support/tar.js';
import { TestRegistry } from './support/registry.js';

const missing = missingTools([...REGISTRY_TOOLS, 'runc', 'ip', 'mount', 'mknod']);
const ADDRESS = '127.0.15.20';
/** The incompressible file of the zstd-compressed layer. */
const ZSTD_NOISE = randomBytes(2 * 1024 * 1024);
const BRIDGE = 'ep-ti';

/** An HTTP proxy to the registry that counts blob fetches and can corrupt one blob or manifest. */
class TamperingProxy {
  readonly fetched = new Map<string, number>();
  corruptBlob: string | undefined;
  corruptManifests = false;
  private server: Server | undefined;
  host = '';

  async start(target: string): Promise<void> {
    const port = await freePort(ADDRESS);
    const [thost, tport] = target.split(':');
    this.server = createServer((req, res) => {
      const digest = /\/blobs\/(sha256:[0-9a-f]{64})$/.exec(req.url ?? '')?.[1];
      if (digest) this.fetched.set(digest, (this.fetched.get(digest) ?? 0) + 1);
      const up = request(
        {
          host: thost,
          port: Number(tport),
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: target },
        },
        (upRes) => {
          const chunks: Buffer[] = [];
          upRes.on('data', (c: Buffer) => chunks.push(c));
          upRes.on('end', () => {
            let body = Buffer.concat(chunks);
            const corrupt =
              (digest !== undefined && digest === this.corruptBlob) ||
              (this.corruptManifests && /\/manifests\//.test(req.url ?? '') && req.method === 'GET');
            if (corrupt && body.length > 0) {
              body = Buffer.from(body);
              body[body.length - 1] = (body[body.length - 1]! ^ 0x20) & 0xff;
            }
            const headers = { ...upRes.headers };
            delete headers['content-length'];
            res.writeHead(upRes.statusCode ?? 502, headers).end(body);
          });
        },
      );
      req.pipe(up);
    });
    await new Promise<void>((r) => this.server!.listen(port, ADDRESS, r));
    this.host = `${ADDRESS}:${port}`;
  }

  async stop(): Promise<void> {
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}

describe.skipIf(missing.length > 0)(
  `OCI images and the runc adapter${missing.length ? ` (skipped: missing ${missing.join(', ')})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-oci-images-'));
    const proxy = new TamperingProxy();
    let registry: TestRegistry;
    let runtime: OciRuntime;
    let client: RegistryClient;
    const events: ContainerEvent[] = [];
    const dataDir = join(dir, 'node');
    const ids: string[] = [];
    let n = 0;

    const config = (image: PulledImage, over: Partial<ContainerConfig> = {}): ContainerConfig => {
      const id = `img-test-${++n}`;
      ids.push(id);
      return {
        id,
        pod: { namespace: 'default', name: `pod-${n}`, uid: `0000000${n}-aaaa` },
        name: 'c',
        image,
        command: [],
        args: [],
        env: {},
        ports: [80],
        limits: {},
        logPath: join(dir, 'logs', `${id}.log`),
        ...over,
      };
    };
    const run = async (image: PulledImage, over: Partial<ContainerConfig>): Promise<string> => {
      const c = config(image, over);
      await runtime.createContainer(c);
      await runtime.startContainer(c.id);
      return c.id;
    };

    beforeAll(async () => {
      registry = await TestRegistry.start({ address: ADDRESS, dir: join(dir, 'registry'), users: { ci: 'secret' } });
      await registry.push(
        'edge/busybox',
        '1.0',
        ociIndex([
          { image: await busyboxImage('amd64'), architecture: 'amd64' },
          { image: await busyboxImage('arm64'), architecture: 'arm64' },
        ]),
      );
      await registry.push('edge/busybox-arm', '1.0', await busyboxImage('arm64'));
      await registry.push('private/busybox', '1.0', await busyboxImage('amd64'));
      // Shares the base layer with edge/busybox; its own top layer and config.
      await registry.push(
        'edge/as-app',
        '1.0',
        ociImage(
          [await busyboxBaseLayer(), await tar([{ path: 'home/app/notes', data: 'mine\n', uid: 1000, gid: 1000 }])],
          {
            architecture: 'amd64',
            User: 'app',
            WorkingDir: '/home/app',
            Cmd: ['sleep', '1000'],
          },
        ),
      );
      // Its top layer zstd-compressed (by the zstd CLI): 2 MiB of bytes no compressor shrinks, and a text.
      await registry.push(
        'edge/zstd-app',
        '1.0',
        ociImage(
          [await busyboxBaseLayer(), await tar([{ path: 'z/noise', data: ZSTD_NOISE }, { path: 'z/notes', data: 'zstd layer\n' }])], // prettier-ignore
          { architecture: 'amd64', Cmd: ['sleep', '1000'] },
          ['gzip', 'zstd'],
        ),
      );
      await registry.push('edge/hello-wasm', '1.0', wasmArtifact(Buffer.from('\0asm\x0d\0\x01\0 a component')));
      await proxy.start(registry.host);
      client = new RegistryClient({
        credentials: new RegistryCredentials([[proxy.host, { username: 'ci', password: 'secret' }]]),
      });
      const logger = silentLogger();
      const network = await PodNetwork.create({ bridge: BRIDGE, cidr: '10.215.4.0/24', logger });
      const adapter = await RuncAdapter.create({
        dataDir: join(dataDir, 'runtime-oci'),
        client,
        network,
        nodeAddress: ADDRESS,
        logger,
      });
      runtime = await OciRuntime.create({ adapter, platform: { os: 'linux', architecture: 'amd64' }, logger });
      runtime.subscribe((e) => events.push(e));
    }, 60_000);

    afterAll(async () => {
      await runtime?.close();
      forceClean([join(dataDir, 'runtime-oci', 'runc')], dir, [`edge-${BRIDGE}-`]);
      deleteLink(BRIDGE);
      await proxy.stop();
      await registry?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('resolves an index to the node platform and refuses an image of another architecture', async () => {
      const img = await runtime.pullImage(`${proxy.host}/edge/busybox:1.0`);
      expect(img.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      await expect(runtime.pullImage(`${proxy.host}/edge/busybox-arm:1.0`)).rejects.toThrow(
        /built for linux\/arm64, this node is linux\/amd64/,
      );
      const arm = await OciRuntimeFor({ os: 'linux', architecture: 'riscv64' });
      await expect(arm.pullImage(`${proxy.host}/edge/busybox:1.0`)).rejects.toThrow(
        /no image for platform linux\/riscv64 in the index \(it offers: linux\/amd64, linux\/arm64\)/,
      );
    });

    it('pulls a private repository with the node credentials only', async () => {
      await expect(
        pullWasmArtifact(`${proxy.host}/private/busybox:1.0`, { client: new RegistryClient() }),
      ).rejects.toThrow(/access denied/);
      await expect(runtime.pullImage(`${proxy.host}/private/busybox:1.0`)).resolves.toMatchObject({
        digest: expect.stringMatching(/^sha256:/) as unknown,
      });
      const wrong = new RegistryClient({
        credentials: new RegistryCredentials([[proxy.host, { username: 'ci', password: 'nope' }]]),
      });
      await expect(pullWasmArtifact(`${proxy.host}/private/busybox:1.0`, { client: wrong })).rejects.toThrow(
        /refused the credentials of user "ci"/,
      );
    });

    it('verifies digests: a corrupted layer or manifest is refused, and nothing half-stored gets in the way', async () => {
      const tampered = ociImage([await busyboxBaseLayer(), await tar([{ path: 'x', data: 'x' }])], {
        architecture: 'amd64',
        Cmd: ['sh'],
      });
      await registry.push('edge/tampered', '1.0', tampered);
      const top = (JSON.parse(tampered.manifest.bytes.toString()) as { layers: Array<{ digest: string }> }).layers[1]!
        .digest;
      proxy.corruptBlob = top;
      const err = await runtime.pullImage(`${proxy.host}/edge/tampered:1.0`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImagePullError);
      expect(String(err)).toMatch(new RegExp(`layer ${top}.*digest mismatch`));
      proxy.corruptBlob = undefined;
      proxy.corruptManifests = true;
      await expect(pullWasmArtifact(`${proxy.host}/edge/hello-wasm:1.0`, { client })).rejects.toThrow(
        /registry claims digest sha256:\w+ but the content hashes to/,
      );
      await expect(
        pullWasmArtifact(`${proxy.host}/edge/tampered@${tampered.manifest.digest}`, { client }),
      ).rejects.toThrow(/digest mismatch/);
      proxy.corruptManifests = false;
      await expect(runtime.pullImage(`${proxy.host}/edge/tampered:1.0`)).resolves.toMatchObject({
        digest: tampered.manifest.digest,
      });
    });

    it('pulls a Wasm component published as an OCI artifact, and says so when asked to run one as a container', async () => {
      const art = await pullWasmArtifact(`${proxy.host}/edge/hello-wasm:1.0`, { client });
      expect(Buffer.from(art.bytes).toString()).toBe('\0asm\x0d\0\x01\0 a component');
      expect(art.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      await expect(runtime.pullImage(`${proxy.host}/edge/hello-wasm:1.0`)).rejects.toThrow(
        /Wasm component artifact.*runtimeClassName: wasm/,
      );
      await expect(pullWasmArtifact(`${proxy.host}/edge/busybox:1.0`, { client })).rejects.toThrow(
        /no wasm entry|not a Wasm component artifact/,
      );
    });

    it('unpacks layers with whiteouts, an opaque directory, links, long names, owners and modes', async () => {
      const img = await runtime.pullImage(`${proxy.host}/edge/busybox:1.0`);
      const id = await run(img, { command: ['sleep', '1000'] });
      const script = [
        'ls /etc',
        'ls /data',
        'readlink /www/link.html',
        'cat /www/hard.html',
        'stat -c "%i" /www/page.html /www/hard.html',
        'stat -c "%a %u %g" /www/secret /bin/suid-tool /tmp /home/app',
        `cat ${LONG_PATH}`,
      ].join('; echo --; ');
      const r = await runtime.exec(id, ['sh', '-c', script], { timeoutMs: 5000 });
      const [etc, data, link, hard, inodes, modes, long] = r.stdout.split('--\n').map((s) => s.trim());
      expect(etc?.split(/\s+/)).not.toContain('deleted-later');
      expect(etc?.split(/\s+/)).toEqual(expect.arrayContaining(['passwd', 'group', 'hosts', 'hostname']));
      expect(data).toBe('new');
      expect(link).toBe('index.html');
      expect(hard).toBe('a page with two names');
      const [i1, i2] = inodes!.split('\n');
      expect(i1).toBe(i2);
      expect(modes!.split('\n')).toEqual(['640 1000 2000', '4755 1000 1000', '1777 0 0', '750 1000 1000']);
      expect(long).toBe('a long path');
      await runtime.stopContainer(id, 0);
      await runtime.removeContainer(id);
    });

    it('unpacks a zstd-compressed layer (node:zlib on Node >= 22.15, fzstd on Node 20): every byte as pushed', async () => {
      const img = await runtime.pullImage(`${proxy.host}/edge/zstd-app:1.0`);
      const id = await run(img, { command: ['sleep', '1000'] });
      const r = await runtime.exec(id, ['sh', '-c', 'cat /z/notes; busybox wc -c < /z/noise; busybox sha256sum /z/noise'], { timeoutMs: 5000 }); // prettier-ignore
      expect(r.stdout.split('\n').slice(0, 3)).toEqual([
        'zstd layer',
        String(ZSTD_NOISE.length),
        `${createHash('sha256').update(ZSTD_NOISE).digest('hex')}  /z/noise`,
      ]);
      await runtime.stopContainer(id, 0);
      await runtime.removeContainer(id);
    });

    it('caches unpacked layers by digest: an image sharing the base layer unpacks only its own', async () => {
      const snapshots = join(dataDir, 'runtime-oci', 'images', 'snapshots');
      // Each snapshot is a directory and its completion marker (`<name>.done`): directories are counted.
      const count = (): number => readdirSync(snapshots).filter((n) => !n.endsWith('.done')).length;
      const before = count();
      const baseFetches = [...proxy.fetched.values()].reduce((a, b) => a + b, 0);
      const img = await runtime.pullImage(`${proxy.host}/edge/as-app:1.0`);
      expect(count()).toBe(before + 1);
      // Base layer already here: only the config and the top layer came over the wire.
      expect([...proxy.fetched.values()].reduce((a, b) => a + b, 0) - baseFetches).toBe(2);
      expect(runtime.listImages()).toEqual(expect.arrayContaining([`${proxy.host}/edge/as-app:1.0`, img.digest]));
    });

    it("runs as the image's user in its working directory, with the pod's env and limits", async () => {
      const img = await runtime.pullImage(`${proxy.host}/edge/as-app:1.0`);
      const id = await run(img, { env: { GREETING: 'hi' }, limits: { memoryBytes: 48 * 1024 * 1024, cpuMillis: 250 } });
      const r = await runtime.exec(
        id,
        [
          'sh',
          '-c',
          'id; pwd; cat notes; echo $GREETING; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max',
        ],
        { timeoutMs: 5000 },
      );
      expect(r.stdout.split('\n').slice(0, 5)).toEqual([
        'uid=1000(app) gid=1000(app)',
        '/home/app',
        'mine',
        'hi',
        String(48 * 1024 * 1024),
      ]);
      const wd = await run(img, { workingDir: '/tmp', command: ['sleep', '1000'] });
      expect((await runtime.exec(wd, ['pwd'], { timeoutMs: 5000 })).stdout).toBe('/tmp\n');
      for (const x of [id, wd]) {
        await runtime.stopContainer(x, 0);
        await runtime.removeContainer(x);
      }
    });

    it('kills an exec that overruns its deadline, and reports an OOM kill as OOMKilled', async () => {
      const img = await runtime.pullImage(`${proxy.host}/edge/busybox:1.0`);
      const id = await run(img, { command: ['sleep', '1000'] });
      const t0 = Date.now();
      await expect(runtime.exec(id, ['sleep', '30'], { timeoutMs: 300 })).rejects.toBeInstanceOf(TimeoutError);
      expect(Date.now() - t0).toBeLessThan(3000); // functional: ended near its 300 ms deadline, not after `sleep 30`
      const ps = await runtime.exec(id, ['ps', '-o', 'args'], { timeoutMs: 5000 });
      expect(ps.stdout).not.toMatch(/sleep 30/);
      await runtime.stopContainer(id, 0);
      await runtime.removeContainer(id);

      const hog = await run(img, {
        limits: { memoryBytes: 16 * 1024 * 1024 },
        command: ['sh', '-c', 'x=$(dd if=/dev/zero bs=1M count=64 | tr "\\0" a); echo survived'],
      });
      const st = await until(
        'the OOM kill',
        () => {
          const s = runtime.containerStatus(hog);
          return s?.state === 'exited' ? s : undefined;
        },
        20_000,
        100,
      );
      expect(st).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
      expect(events.some((e) => e.status.id === hog && e.status.reason === 'OOMKilled')).toBe(true);
      await runtime.removeContainer(hog);
    });

    it('fails to start with the runtime message when the command does not exist', async () => {
      const img = await runtime.pullImage(`${proxy.host}/edge/busybox:1.0`);
      const c = config(img, { command: ['/no/such/binary'] });
      await runtime.createContainer(c);
      await expect(runtime.startContainer(c.id)).rejects.toThrow(/no such file or directory|not found/);
      await runtime.removeContainer(c.id);
      expect(readFileSync(c.logPath, 'utf8')).toMatch(/\/no\/such\/binary/);
    });

    it('leaves no container, bundle, mount, cgroup or netns once everything is removed', () => {
      expect(runcLeftovers(dataDir, BRIDGE, ids)).toEqual({
        containers: [],
        bundles: [],
        mounts: [],
        cgroups: [],
        netns: [],
      });
    });

    /** A second runtime on the same node state, for another platform. */
    async function OciRuntimeFor(platform: { os: string; architecture: string }): Promise<OciRuntime> {
      const logger = silentLogger();
      const adapter = await RuncAdapter.create({
        dataDir: join(dir, `node-${platform.architecture}`),
        client,
        nodeAddress: ADDRESS,
        logger,
      });
      return OciRuntime.create({ adapter, platform, logger });
    }
  },
);

const HELLO_C = join(ROOT, 'examples/wasm-apps/hello-c/dist/hello-c.wasm');
const wasmMissing = [
  ...missingTools(['docker-registry', 'openssl']),
  ...(existsSync(HELLO_C) ? [] : ['hello-c.wasm (npm run build:examples)']),
];
const WASM_NODE = { name: 'ow-1', address: '127.0.15.30' };
const WASM_PORT = 30191;

describe.skipIf(wasmMissing.length > 0)(
  `Wasm pods with images from an OCI registry${wasmMissing.length ? ` (skipped: missing ${wasmMissing.join(', ')})` : ''}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-oci-wasm-'));
    const cluster = new Cluster();
    const component = existsSync(HELLO_C) ? readFileSync(HELLO_C) : Buffer.alloc(0);
    const componentDigest = `sha256:${createHash('sha256').update(component).digest('hex')}`;
    let registry: TestRegistry | undefined;
    let image = '';
    const bareWasmPod = (name: string, img: string): string =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        spec: { runtimeClassName: 'wasm', containers: [{ name: 'app', image: img, ports: [{ containerPort: 8080 }] }] },
      });

    beforeAll(async () => {
      // Token auth as on Docker Hub: anonymous pulls of public repositories, `private/*` needs a user.
      const r = await TestRegistry.start({ address: '127.0.0.1', dir: join(dir, 'registry'), users: { ci: 'secret' } });
      registry = r;
      await r.push('hello', '1.0', wasmArtifact(component));
      await r.push('private/hello', '1.0', wasmArtifact(component));
      await r.push(
        'edge/web',
        '1.0',
        ociImage([await tar([{ path: 'www/index.html', data: 'a container\n' }])], {
          architecture: 'amd64',
          Cmd: ['httpd'],
        }),
      );
      image = `${r.host}/hello:1.0`;
      await cluster.start([WASM_NODE]);
    }, 120_000);

    /** Stops the registry once (a second stop would wait for an exit that already happened). */
    const stopRegistry = async (): Promise<void> => {
      const r = registry;
      registry = undefined;
      await r?.stop();
    };

    afterAll(async () => {
      await cluster.stop();
      await stopRegistry();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('runs a Wasm Deployment whose image is a registry tag, reached through a NodePort', async () => {
      // A registry reference does not end in .wasm: runtimeClassName wasm must be explicit (the default is oci).
      const manifest = wasmServiceManifest({
        name: 'hello-oci',
        image,
        replicas: 2,
        nodePort: WASM_PORT,
        pod: { runtimeClassName: 'wasm' },
      });
      const applied = await cluster.edgectl(['apply', '-f', '-'], manifest);
      expect(applied.code, applied.stderr).toBe(0);
      const answer = await until(
        'the NodePort to answer',
        async () => {
          const r = await httpGet(`http://${WASM_NODE.address}:${WASM_PORT}/`).catch(() => undefined);
          return r?.status === 200 ? r : undefined;
        },
        60_000,
        200,
      );
      expect(JSON.parse(answer.body)).toMatchObject({
        message: 'hello from Edgeplane',
        node: WASM_NODE.name,
        pod: expect.stringMatching(/^hello-oci-/) as unknown,
      });
      const pods = await until(
        '2 Ready replicas',
        async () => {
          const list = await podsOf(cluster, 'hello-oci');
          return list.length === 2 && list.every(isReady) ? list : undefined;
        },
        30_000,
      );
      // The component is the image's identity on the node: the layer's digest, not the manifest's.
      for (const p of pods) expect(cs0(p)?.imageID).toBe(componentDigest);
      const pulled = new RegExp(`^Container image "${image.replace(/\./g, '\\.')}" ready in \\d+ms$`);
      await until(
        'the Pulled event',
        async () =>
          (await eventsOf(cluster, pods[0]!.metadata.name)).some(
            (e) => e.reason === 'Pulled' && pulled.test(e.message ?? ''),
          ),
        30_000, // events are batched and written behind the status: no speed check
      );
    }, 90_000);

    it('shows pull failures as ErrImagePull with what is wrong: a container image, a missing tag, a private repository', async () => {
      const watch = watchCollection<PodLike>(cluster, kind('pods'), 'default');
      const host = registry!.host;
      try {
        const pods = [
          bareWasmPod('not-wasm', `${host}/edge/web:1.0`),
          bareWasmPod('no-tag', `${host}/hello:2.0`),
          bareWasmPod('private', `${host}/private/hello:1.0`),
        ];
        const applied = await cluster.edgectl(['apply', '-f', '-'], pods.join('\n---\n'));
        expect(applied.code, applied.stderr).toBe(0);
        const firstFailure = (name: string): { reason?: string; message?: string } | undefined =>
          watch.events
            .filter((e) => e.object.metadata.name === name)
            .map((e) => cs0(e.object)?.state?.waiting)
            .find((w) => w?.reason === 'ErrImagePull');
        await until(
          'ErrImagePull on the three pods',
          () => ['not-wasm', 'no-tag', 'private'].every((n) => firstFailure(n)),
          30_000,
        );
        expect(firstFailure('not-wasm')?.message).toMatch(
          /edge\/web:1\.0 is a container image \(config media type application\/vnd\.oci\.image\.config\.v1\+json\), not a Wasm component artifact: a container image runs with runtimeClassName: oci/,
        );
        expect(firstFailure('no-tag')?.message).toMatch(
          /hello:2\.0: not found: no such tag or digest in the repository \(MANIFEST_UNKNOWN/,
        );
        expect(firstFailure('private')?.message).toMatch(/access denied by registry 127\.0\.0\.1:\d+/);
        // The reason shows in `get pods` (ImagePullBackOff once retried with back-off, as Kubernetes does).
        const table = await cluster.edgectl(['get', 'pods']);
        expect(table.stdout).toMatch(/not-wasm\s+0\/1\s+(ImagePullBackOff|ErrImagePull)\s/);
        const failed = /^Failed to pull image ".*edge\/web:1\.0": .*runtimeClassName: oci/;
        await until(
          'the Failed event',
          async () =>
            (await eventsOf(cluster, 'not-wasm')).some((e) => e.reason === 'Failed' && failed.test(e.message ?? '')),
          30_000,
        );
      } finally {
        await watch.stop();
        for (const name of ['not-wasm', 'no-tag', 'private'])
          await cluster.client.delete(kind('pods'), 'default', `${name}`).catch(() => undefined);
      }
    }, 60_000);

    it("pulls a private repository with the node's --oci-registry-config (no --oci-runtime needed)", async () => {
      const auth = join(dir, 'auth.json');
      writeFileSync(
        auth,
        JSON.stringify({ auths: { [registry!.host]: { auth: Buffer.from('ci:secret').toString('base64') } } }),
      );
      await cluster.node(WASM_NODE.name).proc.kill('SIGTERM');
      await cluster.startNode({ ...WASM_NODE, args: ['--oci-registry-config', auth] });
      await cluster.waitNodesReady([WASM_NODE.name]);
      const applied = await cluster.edgectl(
        ['apply', '-f', '-'],
        bareWasmPod('private-ok', `${registry!.host}/private/hello:1.0`),
      );
      expect(applied.code, applied.stderr).toBe(0);
      const ok = await until(
        'the private pod Ready',
        async () => {
          const list = await cluster.client.list<PodLike>(kind('pods'), { namespace: 'default' });
          const p = list.items.find((i) => i.metadata.name === 'private-ok');
          return isReady(p) ? p : undefined;
        },
        30_000,
      );
      expect(cs0(ok)?.imageID).toBe(componentDigest);
      await cluster.client.delete(kind('pods'), 'default', 'private-ok');
    }, 60_000);

    it('keeps registry images on the node: a restarted node lists them and runs its pods with the registry gone', async () => {
      await stopRegistry();
      await cluster.node(WASM_NODE.name).proc.kill('SIGTERM');
      await cluster.startNode(WASM_NODE);
      // The images a node lists when it connects feed the scheduler's image locality: the pod spec's
      // spelling is there, read back from the node's disk (it had listed none on its first connect).
      const names = async (): Promise<string[]> => {
        const n = await cluster.client.get<
          KubeObject & {
            status?: { images?: Array<{ names: string[] }> };
          }
        >(kind('nodes'), undefined, `${WASM_NODE.name}`);
        return n.status?.images?.flatMap((i) => i.names) ?? [];
      };
      await until('the restarted node to list its images', async () => (await names()).includes(image), 30_000);
      expect(await names()).toEqual(expect.arrayContaining([image, componentDigest]));
      await until(
        'the pods Ready again and serving',
        async () => {
          const list = await podsOf(cluster, 'hello-oci');
          if (list.length !== 2 || !list.every(isReady)) return undefined;
          const r = await httpGet(`http://${WASM_NODE.address}:${WASM_PORT}/`).catch(() => undefined);
          return r?.status === 200;
        },
        60_000,
        200,
      );
    }, 90_000);
  },
);
