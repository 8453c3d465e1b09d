/**
 * OCI images written by the tests themselves, offline: a busybox image from Debian's busybox-static
 * (tar layers, gzip, OCI manifest and config, an index for several platforms) and a Wasm component
 * as an OCI artifact. Held in memory and pushed to a real registry by registry.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

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

/** One tar member. */
export interface TarMember {
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';
  mode?: number;
  uid?: number;
  gid?: number;
  data?: Buffer | string;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

export const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function octal(h: Buffer, off: number, len: number, v: number): void {
  h.write(`${v.toString(8).padStart(len - 1, '0')}\0`, off, len, 'ascii');
}

function header(
  name: string,
  m: {
    mode: number;
    uid: number;
    gid: number;
    size: number;
    typeflag: string;
    linkname: string;
    devmajor?: number;
    devminor?: number;
  },
): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, m.mode);
  octal(h, 108, 8, m.uid);
  octal(h, 116, 8, m.gid);
  octal(h, 124, 12, m.size);
  octal(h, 136, 12, 1_700_000_000);
  h.fill(0x20, 148, 156);
  h.write(m.typeflag, 156, 1, 'ascii');
  h.write(m.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  octal(h, 329, 8, m.devmajor ?? 0);
  octal(h, 337, 8, m.devminor ?? 0);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);

/** A tar archive of `members` (a PAX header carries names longer than 100 bytes). */
export function tar(members: readonly TarMember[]): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const type = m.type ?? 'file';
    const data = type === 'file' ? Buffer.from(m.data ?? '') : Buffer.alloc(0);
    const typeflag = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' }[type];
    const meta = {
      mode: m.mode ?? (type === 'dir' ? 0o755 : 0o644),
      uid: m.uid ?? 0,
      gid: m.gid ?? 0,
      size: data.length,
      typeflag,
      linkname: m.linkname ?? '',
      devmajor: m.devmajor ?? 0,
      devminor: m.devminor ?? 0,
    };
    const longLink = Buffer.byteLength(meta.linkname) > 99;
    if (Buffer.byteLength(m.path) > 99 || longLink) {
      const rec = (k: string, v: string): string => {
        // A PAX record's length counts its own digits.
        const body = ` ${k}=${v}\n`;
        let len = Buffer.byteLength(body) + 1;
        while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
        return `${len}${body}`;
      };
      const pax = Buffer.from(rec('path', m.path) + (longLink ? rec('linkpath', meta.linkname) : ''));
      parts.push(header('PaxHeader', { ...meta, size: pax.length, typeflag: 'x', linkname: '' }), pax, pad(pax.length));
    }
    parts.push(header(m.path.slice(0, 99), meta), data, pad(data.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

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
export function busyboxBaseLayer(): Buffer {
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
export function busyboxChangesLayer(): Buffer {
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

/** An OCI image of `layers` (uncompressed tars, gzipped here) for `architecture`. */
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
): BuiltImage {
  const blobs = new Map<string, Blob>();
  const layerDescs = layers.map((l) => put(blobs, gzipSync(l), 'application/vnd.oci.image.layer.v1.tar+gzip'));
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
export function busyboxImage(architecture = 'amd64'): BuiltImage {
  return ociImage([busyboxBaseLayer(), busyboxChangesLayer()], {
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
