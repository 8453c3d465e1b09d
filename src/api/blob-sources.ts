/**
 * Peer-to-peer component distribution within a zone (issue 20): before asking the hub for a blob's
 * bytes, a node asks it which nodes of its own zone (`topology.kubernetes.io/zone`) already hold the
 * blob, then fetches it from one of them over the mesh's mutual TLS, verified by digest.
 *
 *   GET {BLOB_PATH}/sha256:<hex>/sources   (node credentials; the node may read the blob itself)
 *        → {"digest": "sha256:<hex>", "sources": [{"nodeName", "address", "meshPort"}, …], "pending"?: true}
 *   GET {PEER_BLOB_MESH_PATH}sha256:<hex>   on a peer's mesh port → the bytes, identity-encoded
 */
import { z } from 'zod';

/** The suffix of the sources query under `{BLOB_PATH}/<digest>`. */
export const BLOB_SOURCES_SUFFIX = '/sources';

/** The path prefix under which a node's mesh server serves the blobs it holds (GET/HEAD `<prefix><digest>`). */
export const PEER_BLOB_MESH_PATH = '/edgeplane/blobs/';

/** Most sources the hub names in one answer (a node tries them in order, then the hub). */
export const MAX_BLOB_SOURCES = 3;

/** A node that holds a blob: where its mesh server listens. */
export const BlobSource = z.strictObject({
  nodeName: z.string().min(1).max(253),
  address: z.string().min(1).max(253),
  meshPort: z.number().int().min(1).max(65535),
});
export type BlobSource = z.infer<typeof BlobSource>;

/** The hub's answer to a sources query. */
export const BlobSources = z.strictObject({
  digest: z.string().max(80),
  sources: z.array(BlobSource).max(MAX_BLOB_SOURCES),
  /**
   * No node of the zone holds it yet, but one is downloading it from the hub now: the caller may wait
   * for it (asking again) rather than download it too — so a rollout to a whole zone at once still
   * costs the hub's uplink one copy.
   */
  pending: z.boolean().optional(),
});
export type BlobSources = z.infer<typeof BlobSources>;
