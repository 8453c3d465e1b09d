/**
 * Image references as Docker and Kubernetes write them: `[registry/]repository[:tag][@digest]`.
 * The first path component is a registry when it has a `.` or a `:` or is `localhost`; otherwise
 * the image lives on Docker Hub (`docker.io`, with `library/` for one-component names).
 */
import { ImagePullError } from '../api/index.js';

/** A parsed image reference. */
export interface ImageReference {
  /** `host[:port]` as written, `docker.io` when none was. */
  registry: string;
  /** Repository path, e.g. `library/busybox`. */
  repository: string;
  tag?: string;
  /** `sha256:<hex>` (or another algorithm) pinning the manifest. */
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;

/** Parses `ref`; throws ImagePullError naming what is wrong. */
export function parseImageReference(ref: string): ImageReference {
  const bad = (why: string): ImagePullError => new ImagePullError(`invalid image reference "${ref}": ${why}`);
  if (ref === '' || ref.length > 4096 || /\s/.test(ref)) throw bad('empty, too long or containing spaces');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`"${digest}" is not a digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))
  ) {
    registry = first;
    parts.shift();
    if (!HOST.test(registry)) throw bad(`"${registry}" is not a registry host`);
  }
  if (parts.length === 0 || parts.some((p) => !PATH_COMPONENT.test(p)))
    throw bad('repository path components must be lower-case letters, digits and separators');
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const out: ImageReference = { registry, repository: parts.join('/') };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  if (out.tag === undefined && out.digest === undefined) out.tag = 'latest';
  return out;
}

/** The canonical string of a reference (`docker.io/library/busybox:1.36`). */
export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${r.digest}` : ''}`;
}

/** The host the distribution API of `registry` is served on (Docker Hub's differs from its name). */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

/** True for registries on a loopback address, reached over plain HTTP as Docker does. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:[0-9]+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
}
