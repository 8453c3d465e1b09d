/**
 * A small in-process distribution API for the image store's tests: manifests and blobs by tag and
 * digest, the registry's error documents, basic auth (`ci:secret`) on `private/*`, blobs it can
 * corrupt in transit, and a record of what it was asked.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The `sha256:<hex>` digest of bytes or text. */
export const sha256 = (b: Uint8Array | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** A registry in memory: what it serves, what it was asked, and whether it answers at all. */
export class MiniRegistry {
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
