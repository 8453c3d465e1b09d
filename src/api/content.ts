/**
 * The hub's content store contract: Wasm components (and other blobs) stored by sha256. `edgectl
 * apply` uploads a local `.wasm` path and rewrites the pod image to a hub reference; nodes download
 * it by digest and verify it.
 *
 *   POST {BLOB_PATH}                 body: the bytes (application/octet-stream)
 *        → 201 (or 200 when already stored) {"digest": "sha256:<hex>", "size": <bytes>}
 *   GET  {BLOB_PATH}/sha256:<hex>    → the bytes; 404 Status when absent
 *   HEAD {BLOB_PATH}/sha256:<hex>    → 200 / 404
 */

/** URL path of the content store on the hub. */
export const BLOB_PATH = '/apis/edgeplane.io/v1/blobs';

/** Registry host of images held by the hub's content store. */
export const HUB_IMAGE_HOST = 'edgeplane.hub';

/** A parsed hub image reference `edgeplane.hub/<name>@sha256:<hex>`. */
export interface HubImageRef {
  name: string;
  digest: `sha256:${string}`;
}

const HUB_REF_RE = /^edgeplane\.hub\/([^@]+)@(sha256:[0-9a-f]{64})$/;

/** Builds the reference of a blob stored on the hub (`name` is kept for humans, e.g. `hello.wasm`). */
export function hubImageRef(name: string, digest: string): string {
  return `${HUB_IMAGE_HOST}/${name}@${digest}`;
}

/** Parses a hub image reference, or undefined if `ref` is not one. */
export function parseHubImageRef(ref: string): HubImageRef | undefined {
  const m = HUB_REF_RE.exec(ref);
  return m ? { name: m[1] ?? '', digest: m[2] as `sha256:${string}` } : undefined;
}

/** True when `digest` is `sha256:` + 64 lower-case hex digits. */
export function isSha256Digest(digest: string): digest is `sha256:${string}` {
  return /^sha256:[0-9a-f]{64}$/.test(digest);
}
