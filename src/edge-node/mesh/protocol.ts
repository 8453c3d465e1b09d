/**
 * The node-to-node mesh hop, both ends of it in one place: the headers a sending node adds
 * (`toMeshHop`, used by the deliverer) and the receiving mesh server reads and strips
 * (`fromMeshHop`), the error header a receiver answers with when nothing was processed, and the
 * bearer check of the cluster's mesh token (insecure-token mode only: with mTLS the hop carries no
 * token, the nodes' certificates authenticate it — see `trust/`). Only nodes speak this hop, so all
 * of its headers live here (the hub never reads them).
 */
import { timingSafeEqual } from 'node:crypto';
import { headerValue, withoutHeaders } from './http/http-util.js';

/** Header naming the target pod of a request forwarded node-to-node over the mesh (`namespace/name`). */
export const MESH_TARGET_HEADER = 'x-edgeplane-target-pod';
/** Header carrying the service port (name or number) a mesh request was sent to. */
export const MESH_PORT_HEADER = 'x-edgeplane-target-port';

/** Carries the client's own `authorization` across the mesh (the mesh hop uses that header for its token). */
export const FORWARDED_AUTHORIZATION_HEADER = 'x-edgeplane-forwarded-authorization';
/**
 * Set by a mesh server that could not deliver and processed nothing (`not-found`, `not-running`,
 * `not-endpoint`, `busy`): the sender may try another endpoint.
 */
export const MESH_ERROR_HEADER = 'x-edgeplane-mesh-error';
/** What is left of the caller's deadline (ms): the receiving node uses it when shorter than its own. */
export const MESH_TIMEOUT_HEADER = 'x-edgeplane-timeout-ms';
/**
 * What the sender waits beyond the deadline it sends: a second more than the receiving node's own,
 * so the receiver's 504 arrives rather than the sender's.
 */
export const MESH_HOP_GRACE_MS = 1000;

/** Headers that only serve the mesh hop: never taken from a client, never handed to a workload. */
const MESH_HOP_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  FORWARDED_AUTHORIZATION_HEADER,
  MESH_TARGET_HEADER,
  MESH_PORT_HEADER,
  MESH_TIMEOUT_HEADER,
]);

/** Where a forwarded request goes on the receiving node, and with what credentials and time. */
export interface MeshHop {
  /** The cluster's mesh token (insecure-token mode); none with mTLS, where the certificate is the credential. */
  token: string | undefined;
  namespace: string;
  /** The pod's name. */
  name: string;
  /** The Service's targetPort (number or containerPort name). */
  targetPort: number | string;
  timeoutMs: number;
}

/** The sender's side: the client's flat headers made into a mesh hop's (its `authorization` kept aside). */
export function toMeshHop(headers: readonly string[], hop: MeshHop): string[] {
  const clientAuth = headerValue(headers, 'authorization');
  const out = withoutHeaders(headers, MESH_HOP_HEADERS);
  if (clientAuth !== undefined) out.push(FORWARDED_AUTHORIZATION_HEADER, clientAuth);
  if (hop.token !== undefined) out.push('authorization', `Bearer ${hop.token}`);
  out.push(
    MESH_TARGET_HEADER,
    `${hop.namespace}/${hop.name}`,
    MESH_PORT_HEADER,
    String(hop.targetPort),
    MESH_TIMEOUT_HEADER,
    String(Math.max(1, Math.ceil(hop.timeoutMs))),
  );
  return out;
}

/**
 * The receiver's side: the headers to hand the workload (the client's own authorization restored,
 * everything that only served the hop dropped) and the sender's time left, when it sent a valid one.
 */
export function fromMeshHop(headers: readonly string[]): { headers: string[]; timeLeftMs: number | undefined } {
  const forwarded = headerValue(headers, FORWARDED_AUTHORIZATION_HEADER);
  const out = withoutHeaders(headers, MESH_HOP_HEADERS);
  if (forwarded !== undefined) out.push('authorization', forwarded);
  const left = Number(headerValue(headers, MESH_TIMEOUT_HEADER));
  return { headers: out, timeLeftMs: Number.isFinite(left) && left > 0 ? left : undefined };
}

/** True when `header` is `Bearer <token>` (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const a = Buffer.from(header.slice(7));
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
