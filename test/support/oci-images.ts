/**
 * OCI images written by the tests themselves, offline: a busybox image from Debian's busybox-static
 * (tar layers, gzip, OCI manifest and config, an index for several platforms) and a Wasm component
 * as an OCI artifact. Held in memory and pushed to a real registry by registry.ts.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tar, type TarMember } from './tar.js';

export const BUSYBOX = '/usr/bin/busybox';

/** A blob with its media type. */
export interface Blob {
  bytes: Buffer;
  mediaType: string;
}

/** A manifest (or index) and every blob it needs, keyed by digest. */
export interface BuiltImage {
  blobs: Map<string, Blob>;
  /** Child manifests an index refers to (pushed by digest before it). */
  children: Array<{ bytes: Buffer; digest: string; mediaType: string }>;
  manifest: { bytes: Buffer; digest: string; mediaType: string };
}

export const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const APPLETS = [
  'sh',
  'httpd',
  'sleep',
  'cat',
  'echo',
  'ls',
  'kill',
  'ps',
  'stat',
  'id',
  'wget',
  'env',
  'pwd',
  'head',
  'dd',
  'tr',
  'mkdir',
  'rm',
  'touch',
  'true',
  'false',
  'grep',
  'hostname',
  'ip',
];

/** True when busybox-static is installed (the image's only binary: it must need no shared libraries). */
export function haveStaticBusybox(): boolean {
  return existsSync(BUSYBOX) && !readFileSync(BUSYBOX).includes('/ld-linux');
}

/** The base layer: busybox and its applets, a web root, users, and a few files to test permissions. */
export function busyboxBaseLayer(): Promise<Buffer> {
  return tar([
    { path: 'bin', type: 'dir' },
    { path: 'bin/busybox', data: readFileSync(BUSYBOX), mode: 0o755 },
    ...APPLETS.map((a): TarMember => ({ path: `bin/${a}`, type: 'symlink', linkname: 'busybox' })),
    { path: 'etc', type: 'dir' },
    { path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n' },
    { path: 'etc/group', data: 'root:x:0:\napp:x:1000:\nweb:x:2000:app\n' },
    { path: 'etc/deleted-later', data: 'gone in the next layer\n' },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
    { path: 'www', type: 'dir' },
    { path: 'www/index.html', data: 'hello from a busybox container\n' },
    { path: 'data', type: 'dir' },
    { path: 'data/old-a', data: 'a' },
    { path: 'data/old-b', data: 'b' },
    { path: 'home', type: 'dir' },
    { path: 'home/app', type: 'dir', uid: 1000, gid: 1000, mode: 0o750 },
  ]);
}

/** A second layer exercising whiteouts, an opaque dir, links, modes and owners. */
export function busyboxChangesLayer(): Promise<Buffer> {
  const long = `www/${'deep/'.repeat(22)}file.txt`;
  return tar([
    { path: 'etc', type: 'dir' },
    { path: 'etc/.wh.deleted-later', data: '' },
    { path: 'data', type: 'dir' },
    { path: 'data/.wh..wh..opq', data: '' },
    { path: 'data/new', data: 'new' },
    { path: 'www', type: 'dir' },
    { path: 'www/link.html', type: 'symlink', linkname: 'index.html' },
    { path: 'www/page.html', data: 'a page with two names\n' },
    { path: 'www/hard.html', type: 'hardlink', linkname: 'www/page.html' },
    { path: 'www/secret', data: 'for app only\n', mode: 0o640, uid: 1000, gid: 2000 },
    { path: 'bin/suid-tool', data: 'not really a tool', mode: 0o4755, uid: 1000, gid: 1000 },
    ...'deep/'
      .repeat(22)
      .split('/')
      .filter(Boolean)
      .map((_, i): TarMember => ({ path: `www/${'deep/'.repeat(i + 1).slice(0, -1)}`, type: 'dir' })),
    { path: long, data: 'a long path\n' },
  ]);
}

/** Path of the long-named file of {@link busyboxChangesLayer}, inside the image. */
export const LONG_PATH = `/www/${'deep/'.repeat(22)}file.txt`;

function put(
  blobs: Map<string, Blob>,
  bytes: Buffer,
  mediaType: string,
): { mediaType: string; digest: string; size: number } {
  const digest = digestOf(bytes);
  blobs.set(digest, { bytes, mediaType });
  return { mediaType, digest, size: bytes.length };
}

/** A layer's blob: gzip (Node's zlib), or zstd (the real `zstd` CLI, level 19). */
function compressed(layer: Buffer, how: 'gzip' | 'zstd'): { bytes: Buffer; mediaType: string } {
  if (how === 'gzip') return { bytes: gzipSync(layer), mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' };
  const bytes = execFileSync('zstd', ['-q', '-19', '-c'], { input: layer, maxBuffer: 1 << 30 });
  return { bytes, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' };
}

/**
 * An OCI image of `layers` (uncompressed tars, compressed here: gzip, or as `compression` says per
 * layer) for `architecture`.
 */
export function ociImage(
  layers: readonly Buffer[],
  config: {
    architecture: string;
    Cmd?: string[];
    Entrypoint?: string[];
    Env?: string[];
    User?: string;
    WorkingDir?: string;
  },
  compression: ReadonlyArray<'gzip' | 'zstd'> = [],
): BuiltImage {
  const blobs = new Map<string, Blob>();
  const layerDescs = layers.map((l, i) => {
    const blob = compressed(l, compression[i] ?? 'gzip');
    return put(blobs, blob.bytes, blob.mediaType);
  });
  const { architecture, ...run } = config;
  const cfg = Buffer.from(
    JSON.stringify({
      architecture,
      os: 'linux',
      config: { Env: ['PATH=/bin'], ...run },
      rootfs: { type: 'layers', diff_ids: layers.map(digestOf) },
      history: layers.map(() => ({ created_by: 'edgeplane test' })),
    }),
  );
  const configDesc = put(blobs, cfg, 'application/vnd.oci.image.config.v1+json');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: configDesc,
      layers: layerDescs,
    }),
  );
  return {
    blobs,
    children: [],
    manifest: { bytes: manifest, digest: digestOf(manifest), mediaType: 'application/vnd.oci.image.manifest.v1+json' },
  };
}

/** An index over `images` with their platforms. */
export function ociIndex(images: ReadonlyArray<{ image: BuiltImage; architecture: string }>): BuiltImage {
  const blobs = new Map<string, Blob>();
  for (const { image } of images) for (const [d, b] of image.blobs) blobs.set(d, b);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: images.map(({ image, architecture }) => ({
        mediaType: image.manifest.mediaType,
        digest: image.manifest.digest,
        size: image.manifest.bytes.length,
        platform: { os: 'linux', architecture },
      })),
    }),
  );
  return {
    blobs,
    children: images.map(({ image }) => image.manifest),
    manifest: { bytes: index, digest: digestOf(index), mediaType: 'application/vnd.oci.image.index.v1+json' },
  };
}

/** The busybox httpd image (two layers) for `architecture`. */
export async function busyboxImage(architecture = 'amd64'): Promise<BuiltImage> {
  return ociImage([await busyboxBaseLayer(), await busyboxChangesLayer()], {
    architecture,
    Cmd: ['httpd', '-f', '-v', '-p', '80', '-h', '/www'],
  });
}

/** A Wasm component as an OCI artifact (CNCF layout). */
export function wasmArtifact(component: Buffer): BuiltImage {
  const blobs = new Map<string, Blob>();
  const config = put(blobs, Buffer.from('{}'), 'application/vnd.wasm.config.v0+json');
  const layer = put(blobs, component, 'application/wasm');
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.wasm.config.v0+json',
      config,
      layers: [layer],
    }),
  );
  return {
    blobs,
    children: [],
    manifest: { bytes: manifest, digest: digestOf(manifest), mediaType: 'application/vnd.oci.image.manifest.v1+json' },
  };
}
