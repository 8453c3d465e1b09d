/**
 * Local Wasm images: a container image that is a path to a `.wasm` file (absolute, `./…`, `../…`,
 * `~/…`, `file://…`, or a bare relative path that exists) is uploaded to the hub's content store and
 * replaced by `edgeplane.hub/<file>@sha256:…`, so a manifest can point at its build output.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hubImageRef, type KubeObject } from '../../api/index.js';
import { ManifestError, describeManifest, type ValidManifest } from './validate.js';

/** A container of an object, wherever its kind keeps them. */
interface ContainerRef {
  name: string;
  image: string;
}

/** Containers of a Pod (`spec.containers`) or a workload (`spec.template.spec.containers`). */
export function containersOf(obj: KubeObject): ContainerRef[] {
  const spec = obj.spec as { containers?: unknown; template?: { spec?: { containers?: unknown } } } | undefined;
  const list = spec?.containers ?? spec?.template?.spec?.containers;
  return Array.isArray(list) ? (list as ContainerRef[]) : [];
}

/**
 * The absolute path an image names, if it is a local Wasm file; `explicit` is true when the image
 * can only be a path (then a missing file is an error, not a registry reference).
 */
export function localWasmPath(image: string, baseDir: string): { path: string; explicit: boolean } | undefined {
  if (!image.endsWith('.wasm')) return undefined;
  if (image.startsWith('file://')) return { path: fileURLToPath(image), explicit: true };
  if (image.startsWith('~/')) return { path: join(homedir(), image.slice(2)), explicit: true };
  if (isAbsolute(image) || image.startsWith('./') || image.startsWith('../'))
    return { path: resolve(baseDir, image), explicit: true };
  if (image.includes('@') || image.includes(':')) return undefined;
  // `dist/hello.wasm` may be a path or a registry repository: a path only if the file is there.
  const path = resolve(baseDir, image);
  return existsSync(path) ? { path, explicit: false } : undefined;
}

/** Uploads a file and returns its digest (`EdgeClient.uploadBlob`). */
export type BlobUploader = (path: string) => Promise<{ digest: string }>;

/**
 * The digest the hub would answer for a file, computed here and uploading nothing: a dry run or a diff
 * shows the reference an apply would write (the hub refuses a local path as an image).
 */
// Not distribution's fileDigest: its index brings ~160 KB of registry client into edgectl's bundle.
export async function localDigest(path: string): Promise<{ digest: string }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { digest: `sha256:${hash.digest('hex')}` };
}

/**
 * Checks every local image exists (before anything is written), then uploads each file once and
 * rewrites the images in place. Returns the number of files uploaded.
 */
export async function rewriteLocalImages(items: readonly ValidManifest[], upload: BlobUploader): Promise<number> {
  const pending: { container: ContainerRef; path: string }[] = [];
  for (const item of items) {
    for (const c of containersOf(item.object)) {
      const local = localWasmPath(c.image, item.manifest.dir);
      if (!local) continue;
      const ok = existsSync(local.path) && statSync(local.path).isFile();
      if (!ok) {
        throw new ManifestError(
          `image "${c.image}" of container "${c.name}" in ${describeManifest(item.manifest, item.object.kind, item.object.metadata.name)}: no such file ${local.path}${notBuiltHint(local.path)}`,
        );
      }
      pending.push({ container: c, path: local.path });
    }
  }
  const digests = new Map<string, Promise<{ digest: string }>>();
  for (const p of pending) {
    let d = digests.get(p.path);
    if (!d) {
      d = upload(p.path);
      digests.set(p.path, d);
    }
    p.container.image = hubImageRef(basename(p.path), (await d).digest);
  }
  return digests.size;
}

/** For this repository's example components, which are built on demand: how to build them. */
function notBuiltHint(path: string): string {
  return /[/\\]examples[/\\]wasm-apps[/\\].*[/\\]dist[/\\][^/\\]+\.wasm$/.test(path)
    ? ' (an example component not built yet: `npm run build:examples`)'
    : '';
}
