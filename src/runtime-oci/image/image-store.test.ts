/**
 * The runc adapter's image store against a hostile registry: a small distribution-API server here
 * that serves what the test built — and can lie (more bytes than a descriptor declares, diff IDs that
 * are paths). Also a torn cache found on a restart: a blob that no longer hashes to its digest, a
 * snapshot without its completion marker, a torn stored manifest.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImagePullError } from '../../api/index.js';
import { silentLogger } from '../../platform/index.js';
import { digestOf, ociImage, type BuiltImage } from '../../../test/support/oci-images.js';
import { tar } from '../../../test/support/tar.js';
import { ImageStore } from './image-store.js';
import { RegistryClient } from '../../distribution/index.js';

const base = mkdtempSync(join(tmpdir(), 'image-store-'));
const platform = { os: 'linux', architecture: 'amd64' };
/** Repository → tag → image, and what the server should do wrong. */
const repos = new Map<string, BuiltImage>();
const padBlobs = new Set<string>();
const fetched = new Map<string, number>();
let server: Server;
let host: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(req.url ?? '');
    const image = m ? repos.get(m[1]!) : undefined;
    if (!m || !image) return void res.writeHead(404).end();
    const ref = m[3]!;
    fetched.set(ref, (fetched.get(ref) ?? 0) + 1);
    if (m[2] === 'manifests') {
      if (ref !== '1.0' && ref !== image.manifest.digest) return void res.writeHead(404).end();
      return void res.writeHead(200, { 'content-type': image.manifest.mediaType }).end(image.manifest.bytes);
    }
    const blob = image.blobs.get(ref);
    if (!blob) return void res.writeHead(404).end();
    // A lying registry streams on past the declared size (no content-length to warn the client).
    if (padBlobs.has(ref)) {
      res.writeHead(200);
      res.write(blob.bytes);
      const junk = Buffer.alloc(64 * 1024);
      let closed = false;
      res.on('close', () => (closed = true));
      res.on('error', () => undefined);
      const more = (): void => {
        if (closed) return;
        if (res.write(junk)) setImmediate(more);
        else res.once('drain', more);
      };
      return more();
    }
    res.writeHead(200).end(blob.bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(base, { recursive: true, force: true });
});

let n = 0;
const open = (dir = join(base, `store-${++n}`)): Promise<ImageStore> =>
  ImageStore.open({ dir, client: new RegistryClient({ timeoutMs: 5000 }), logger: silentLogger() });
const layerOf = (image: BuiltImage, i: number): string =>
  (JSON.parse(image.manifest.bytes.toString()) as { layers: Array<{ digest: string }> }).layers[i]!.digest;

/** An image whose config says whatever `config` says (diff IDs included). */
function imageWithConfig(layer: Buffer, config: object): BuiltImage {
  const img = ociImage([layer], { architecture: 'amd64' });
  const gz = gzipSync(layer);
  const cfg = Buffer.from(JSON.stringify(config));
  const blobs = new Map([
    [digestOf(gz), { bytes: gz, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }],
    [digestOf(cfg), { bytes: cfg, mediaType: 'application/vnd.oci.image.config.v1+json' }],
  ]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(cfg), size: cfg.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digestOf(gz), size: gz.length }],
    }),
  );
  return {
    ...img,
    blobs,
    manifest: { bytes: manifest, digest: digestOf(manifest), mediaType: 'application/vnd.oci.image.manifest.v1+json' },
  };
}

describe('ImageStore', () => {
  it('pulls into 0700 directories and records the image durably', async () => {
    repos.set('edge/ok', ociImage([await tar([{ path: 'hello', data: 'hi' }])], { architecture: 'amd64' }));
    const dir = join(base, `store-${++n}`);
    const store = await open(dir);
    const { image } = await store.pull(`${host}/edge/ok:1.0`, platform);
    for (const d of [dir, join(dir, 'content'), join(dir, 'snapshots')]) expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(store.snapshots.dir, image.snapshots[0]!, 'hello'), 'utf8')).toBe('hi');
    expect(
      Object.keys((JSON.parse(readFileSync(join(dir, 'images.json'), 'utf8')) as { images: object }).images),
    ).toEqual([image.digest]);
  });

  it('aborts a layer download as soon as the registry sends more than the descriptor declares', async () => {
    const img = ociImage([await tar([{ path: 'a', data: 'a' }])], { architecture: 'amd64' });
    repos.set('edge/padded', img);
    padBlobs.add(layerOf(img, 0));
    const store = await open();
    const err = await store.pull(`${host}/edge/padded:1.0`, platform).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImagePullError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `layer ${layerOf(img, 0)} of .*: the registry sent more than the \\d+ bytes its descriptor declares; download aborted`,
      ),
    );
    expect(await store.content.has(layerOf(img, 0))).toBe(false);
  });

  it('refuses a config whose diff IDs are not digests, before anything is unpacked', async () => {
    const layer = await tar([{ path: 'a', data: 'a' }]);
    repos.set(
      'edge/evil-diff',
      imageWithConfig(layer, {
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: ['sha256:../../../../tmp/evil'] },
      }),
    );
    const store = await open();
    await expect(store.pull(`${host}/edge/evil-diff:1.0`, platform)).rejects.toThrow(
      /config of .*edge\/evil-diff:1\.0: rootfs\.diff_ids\[0\] is not a sha256 digest/,
    );
    expect(readdirSync(store.snapshots.dir)).toEqual([]);
    expect(existsSync('/tmp/evil')).toBe(false);
  });

  it('heals a torn cache on the next pull: a torn blob is fetched again, an unmarked snapshot unpacked again, a torn manifest pulled again', async () => {
    const img = ociImage([await tar([{ path: 'base', data: 'b' }]), await tar([{ path: 'top', data: 't' }])], {
      architecture: 'amd64',
    });
    repos.set('edge/torn', img);
    const dir = join(base, `store-${++n}`);
    const first = await (await open(dir)).pull(`${host}/edge/torn:1.0`, platform);
    const top = first.image.snapshots[1]!;
    // A power cut tore the top layer's blob and its snapshot's marker.
    const store = await open(dir);
    writeFileSync(store.content.path(layerOf(img, 1)), 'torn');
    rmSync(join(store.snapshots.dir, `${top}.done`));
    const before = fetched.get(layerOf(img, 1)) ?? 0;
    await store.pull(`${host}/edge/torn:1.0`, platform);
    expect(fetched.get(layerOf(img, 1))).toBe(before + 1);
    expect(readFileSync(join(store.snapshots.dir, top, 'top'), 'utf8')).toBe('t');
    expect(existsSync(join(store.snapshots.dir, `${top}.done`))).toBe(true);
    // A torn stored manifest: the image is pulled from the registry again.
    writeFileSync(store.content.path(img.manifest.digest), '{"torn');
    rmSync(join(store.snapshots.dir, `${top}.done`));
    const manifestFetches = fetched.get('1.0') ?? 0;
    await expect(store.pull(`${host}/edge/torn:1.0`, platform)).resolves.toMatchObject({ digest: img.manifest.digest });
    expect(fetched.get('1.0')).toBe(manifestFetches + 1);
    expect((await store.content.read(img.manifest.digest)).equals(img.manifest.bytes)).toBe(true);
  });
});
