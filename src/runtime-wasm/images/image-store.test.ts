/**
 * The Wasm image store against a small in-process distribution API (manifests and blobs by tag and
 * digest, the registry's error documents, basic auth on `private/*`), through src/distribution's real
 * registry client: the pull policy, the cache by digest across restarts, and the errors a pod shows.
 * The whole path against Debian's docker-registry and a cluster is in test/oci-images.test.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImagePullError, hubImageRef } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { RegistryClient, RegistryCredentials } from '../../distribution/index.js';
import { ImageStore } from './image-store.js';

const sha256 = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** A registry in memory: what it serves, what it was asked, and whether it answers at all. */
class MiniRegistry {
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  readonly blobs = new Map<string, Buffer>();
  readonly requests: string[] = [];
  corrupt = new Set<string>();
  host = '';
  #server: Server | undefined;

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(req.url ?? '');
      if (!m) return void res.writeHead(req.url === '/v2/' ? 200 : 404).end('{}');
      const [, repo = '', kind = '', ref = ''] = m;
      this.requests.push(`${kind} ${repo} ${ref}`);
      if (
        repo.startsWith('private/') &&
        req.headers.authorization !== `Basic ${Buffer.from('ci:secret').toString('base64')}`
      ) {
        return void res
          .writeHead(401, { 'www-authenticate': 'Basic realm="mini"', 'content-type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      }
      const fail = (code: string, message: string): void =>
        void res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ errors: [{ code, message }] }));
      if (![...this.manifests.keys()].some((k) => k.startsWith(`${repo} `)))
        return fail('NAME_UNKNOWN', 'repository name not known to registry');
      if (kind === 'manifests') {
        const doc = this.manifests.get(`${repo} ${ref}`);
        if (!doc) return fail('MANIFEST_UNKNOWN', 'manifest unknown');
        return void res
          .writeHead(200, { 'content-type': doc.mediaType, 'docker-content-digest': sha256(doc.bytes) })
          .end(doc.bytes);
      }
      const blob = this.blobs.get(ref);
      if (!blob) return fail('BLOB_UNKNOWN', 'blob unknown to registry');
      const body = this.corrupt.has(ref)
        ? Buffer.concat([blob.subarray(0, -1), Buffer.from([blob.at(-1)! ^ 1])])
        : blob;
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.host = `127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.#server?.close(r));
    this.#server?.closeAllConnections();
  }

  #blob(bytes: Buffer, mediaType: string): { mediaType: string; digest: string; size: number } {
    this.blobs.set(sha256(bytes), bytes);
    return { mediaType, digest: sha256(bytes), size: bytes.length };
  }

  /** Publishes `manifest` as `repo:tag` (and by its digest); returns the manifest digest. */
  #publish(repo: string, tag: string, manifest: unknown): string {
    const bytes = Buffer.from(JSON.stringify(manifest));
    this.manifests.set(`${repo} ${tag}`, { bytes, mediaType: OCI_MANIFEST });
    this.manifests.set(`${repo} ${sha256(bytes)}`, { bytes, mediaType: OCI_MANIFEST });
    return sha256(bytes);
  }

  /** A Wasm component as a CNCF Wasm OCI artifact; `note` varies the manifest, not the component. */
  pushWasm(repo: string, tag: string, component: Buffer, note = ''): string {
    const config = this.#blob(Buffer.from('{}'), 'application/vnd.wasm.config.v0+json');
    const layer = this.#blob(component, 'application/wasm');
    return this.#publish(repo, tag, {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: config.mediaType,
      config,
      layers: [layer],
      annotations: { note },
    });
  }

  /** A (content-free) container image. */
  pushContainer(repo: string, tag: string): string {
    const config = this.#blob(
      Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'),
      'application/vnd.oci.image.config.v1+json',
    );
    return this.#publish(repo, tag, { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [] });
  }
}

const componentA = Buffer.from('\0asm\x0d\0\x01\0 component A');
const componentB = Buffer.from('\0asm\x0d\0\x01\0 component B');

describe('ImageStore with OCI registry references', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-wasm-images-'));
  const registry = new MiniRegistry();
  const hubBlobs = new Map<string, Uint8Array>();
  let store: ImageStore;
  let manifestA = '';
  const open = (client?: RegistryClient): Promise<ImageStore> =>
    ImageStore.open(
      join(dir, 'images'),
      async (d) => hubBlobs.get(d) ?? Promise.reject(new Error(`hub has no ${d}`)),
      silentLogger(),
      client ? { registry: client } : {},
    );
  const ref = (path: string): string => `${registry.host}/${path}`;
  const blobFetches = (digest: string): number =>
    registry.requests.filter((r) => r.startsWith('blobs ') && r.endsWith(digest)).length;

  beforeAll(async () => {
    await registry.start();
    manifestA = registry.pushWasm('apps/hello', '1.0', componentA);
    registry.pushWasm('apps/hello', '1.0-again', componentA, 'same component, other manifest');
    registry.pushWasm('apps/hello', 'latest', componentA);
    registry.pushWasm('private/hello', '1.0', componentA);
    registry.pushContainer('apps/busybox', '1.0');
    store = await open();
  });

  afterAll(async () => {
    await registry.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    registry.requests.length = 0;
  });

  it('pulls a component by tag, stores it by its digest, and serves a known tag or digest without asking again', async () => {
    const img = await store.pull(ref('apps/hello:1.0'));
    expect(img).toEqual({ ref: ref('apps/hello:1.0'), digest: sha256(componentA), sizeBytes: componentA.length });
    expect(readFileSync(store.pathOf(img.digest))).toEqual(componentA);
    expect(registry.requests).toEqual([`manifests apps/hello 1.0`, `blobs apps/hello ${sha256(componentA)}`]);

    registry.requests.length = 0;
    await expect(store.pull(ref('apps/hello:1.0'))).resolves.toMatchObject({ digest: img.digest });
    await expect(store.pull(ref(`apps/hello@${manifestA}`))).resolves.toMatchObject({ digest: img.digest });
    expect(registry.requests).toEqual([]);
    expect(store.list()).toEqual(
      expect.arrayContaining([ref('apps/hello:1.0'), ref(`apps/hello@${manifestA}`), img.digest]),
    );
  });

  it('fetches a component it already holds only once, whatever manifest points at it', async () => {
    await store.pull(ref('apps/hello:1.0-again'));
    expect(registry.requests).toEqual(['manifests apps/hello 1.0-again']);
  });

  it('shares one download between concurrent pulls of one reference', async () => {
    const c = Buffer.from('\0asm\x0d\0\x01\0 component C');
    registry.pushWasm('apps/concurrent', '1.0', c);
    const all = await Promise.all([1, 2, 3].map(() => store.pull(ref('apps/concurrent:1.0'))));
    expect(new Set(all.map((i) => i.digest))).toEqual(new Set([sha256(c)]));
    expect(blobFetches(sha256(c))).toBe(1);
  });

  it('resolves `latest` on every pull and follows it when it moves', async () => {
    expect((await store.pull(ref('apps/hello'))).digest).toBe(sha256(componentA));
    expect(registry.requests).toEqual(['manifests apps/hello latest']);
    registry.pushWasm('apps/hello', 'latest', componentB);
    const moved = await store.pull(ref('apps/hello:latest'));
    expect(moved.digest).toBe(sha256(componentB));
    expect(blobFetches(sha256(componentB))).toBe(1);
    expect(store.list()).toEqual(
      expect.arrayContaining([ref('apps/hello'), ref('apps/hello:latest'), sha256(componentB)]),
    );
  });

  it('says what is wrong: no repository, no tag, a container image, a corrupted component, credentials', async () => {
    await expect(store.pull(ref('apps/nope:1.0'))).rejects.toThrow(/not found: no such repository \(NAME_UNKNOWN/);
    await expect(store.pull(ref('apps/hello:2.0'))).rejects.toThrow(
      /not found: no such tag or digest in the repository/,
    );
    const container = await store.pull(ref('apps/busybox:1.0')).catch((e: unknown) => e);
    expect(container).toBeInstanceOf(ImagePullError);
    expect(String(container)).toMatch(
      /apps\/busybox:1.0 is a container image \(config media type application\/vnd\.oci\.image\.config\.v1\+json\), not a Wasm component artifact: a container image runs with runtimeClassName: oci/,
    );

    const bad = Buffer.from('\0asm\x0d\0\x01\0 tampered in transit');
    registry.pushWasm('apps/tampered', '1.0', bad);
    registry.corrupt.add(sha256(bad));
    await expect(store.pull(ref('apps/tampered:1.0'))).rejects.toThrow(/digest mismatch/);
    expect(existsSync(store.pathOf(sha256(bad)))).toBe(false);
    expect(readdirSync(join(dir, 'images', 'sha256')).filter((f) => f.includes('.tmp-'))).toEqual([]);

    await expect(store.pull(ref('private/hello:1.0'))).rejects.toThrow(
      /requires credentials \(basic auth\) and the node has none/,
    );
    const withCreds = await open(
      new RegistryClient({
        credentials: new RegistryCredentials([[registry.host, { username: 'ci', password: 'secret' }]]),
      }),
    );
    await expect(withCreds.pull(ref('private/hello:1.0'))).resolves.toMatchObject({ digest: sha256(componentA) });
  });

  it("tries a pod's image pull secrets before the node's credentials, never leaking them to other pulls", async () => {
    const componentC = Buffer.from('\0asm\x0d\0\x01\0 component C');
    registry.pushWasm('private/app', '1.0', componentC);
    registry.pushWasm('private/app', '2.0', componentC, 'another manifest');
    const own = await ImageStore.open(
      join(dir, 'images-secrets'),
      () => Promise.reject(new Error('no hub')),
      silentLogger(),
    );
    const doc = (user: string, password: string): string =>
      JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } });
    const wrong = doc('ci', 'not-the-password');
    const elsewhere = JSON.stringify({ auths: { 'other.example': { username: 'ci', password: 'secret' } } });
    const failed = await own.pull(ref('private/app:1.0'), { pullSecrets: [wrong] }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ImagePullError);
    expect(String(failed)).toMatch(/tried the credentials of 1 image pull secret\(s\) and the node's/);
    expect(String(failed)).not.toContain('not-the-password');
    // A document for another registry, a wrong one, then the right one: the right one pulls.
    await expect(
      own.pull(ref('private/app:1.0'), { pullSecrets: [elsewhere, 'not json', wrong, doc('ci', 'secret')] }),
    ).resolves.toMatchObject({ digest: sha256(componentC) });
    // The authorisation it earned is not reused by a pull without the secret.
    await expect(own.pull(ref('private/app:2.0'))).rejects.toThrow(/requires credentials/);
  });

  it('refuses references that cannot be pulled, without going to the network', async () => {
    await expect(store.pull('Not/A Ref')).rejects.toThrow(/invalid image reference/);
    await expect(store.pull('edgeplane.hub/hello.wasm:1.0')).rejects.toThrow(/pinned by digest/);
    expect(registry.requests).toEqual([]);
  });

  it('never lets a malformed digest name a file in the cache', () => {
    for (const bad of [
      'sha256:../../etc/passwd',
      'sha256:' + 'A'.repeat(64),
      'sha512:' + 'a'.repeat(128),
      'sha256:' + 'a'.repeat(63) + '/',
    ]) {
      expect(() => store.pathOf(bad)).toThrow(ImagePullError);
    }
    expect(store.pathOf('sha256:' + 'a'.repeat(64))).toBe(join(dir, 'images', 'sha256', 'a'.repeat(64) + '.wasm'));
  });

  it('still pulls hub references from the hub, sharing the cache by digest', async () => {
    hubBlobs.set(sha256(componentB), componentB);
    const hubRef = hubImageRef('b.wasm', sha256(componentB));
    await expect(store.pull(hubRef)).resolves.toEqual({
      ref: hubRef,
      digest: sha256(componentB),
      sizeBytes: componentB.length,
    });
    expect(store.list()).toContain(hubRef);
  });

  it('names the file of a component it holds whole, for zone peers, and nothing for one torn or absent', async () => {
    const componentC = Buffer.from('\0asm peer-served component C');
    hubBlobs.set(sha256(componentC), componentC);
    await store.pull(hubImageRef('c.wasm', sha256(componentC)));
    const path = await store.heldPath(sha256(componentC));
    expect(path && readFileSync(path)).toEqual(componentC);
    await expect(store.heldPath(sha256('never pulled'))).resolves.toBeUndefined();
    await expect(store.heldPath('sha256:../../etc/passwd')).resolves.toBeUndefined();
    // A fresh process with the file torn on disk: checked before it is served, removed, not named.
    writeFileSync(path!, 'torn');
    const reopened = await open();
    await expect(reopened.heldPath(sha256(componentC))).resolves.toBeUndefined();
    expect(existsSync(path!)).toBe(false);
  });

  it('after a restart with the registry gone: known tags and digests are local, `latest` needs the registry', async () => {
    await registry.stop();
    const again = await open();
    expect(again.list()).toEqual(
      expect.arrayContaining([
        ref('apps/hello:1.0'),
        ref(`apps/hello@${manifestA}`),
        ref('apps/hello:latest'),
        sha256(componentA),
      ]),
    );
    await expect(again.pull(ref('apps/hello:1.0'))).resolves.toMatchObject({ digest: sha256(componentA) });
    await expect(again.pull(ref(`apps/hello@${manifestA}`))).resolves.toMatchObject({ digest: sha256(componentA) });
    await expect(again.pull(ref('apps/hello:latest'))).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1/);
  });
});
