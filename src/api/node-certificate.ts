/**
 * The node certificate endpoint (the kubelet's TLS bootstrap, K3s's `/v1-k3s/client-kubelet.crt`):
 *
 *   POST {NODE_CERTIFICATE_PATH}   body: NodeCertificateRequest (JSON)   → NodeCertificateResponse
 *
 * A first join authenticates with a bootstrap token (`Authorization: Bearer …`); a renewal with the
 * node's current client certificate and no token. 409 when the name is held by another key.
 */
import { z } from 'zod';

export const NODE_CERTIFICATE_PATH = '/bootstrap/node-certificate';

/**
 * Annotation on a Node binding its name to keys: comma-separated sha256 hex of the bound keys' SPKI
 * DER, current first. Written by the hub's node identity; an update that omits it keeps it (a user's
 * PUT of a Node manifest must not unbind the node).
 */
export const NODE_CREDENTIALS_ANNOTATION = 'edgeplane.io/node-credential-keys';

/** Largest request body accepted: a P-256 CSR is well under 1 KiB. */
export const MAX_NODE_CERTIFICATE_REQUEST_BYTES = 16 * 1024;

/** What a node sends: its CSR (`CN=system:node:<name>, O=system:nodes`) and its address for the SANs. */
export const NodeCertificateRequestBody = z.strictObject({
  csr: z.string().min(1).max(8192),
  address: z.string().min(1).max(64).optional(),
});
export type NodeCertificateRequestBody = z.infer<typeof NodeCertificateRequestBody>;

/** What it gets back: its certificate and the CA bundle that signed it (PEM). */
export const NodeCertificateResponse = z.strictObject({
  certificate: z.string().min(1).max(16384),
  caCertificate: z.string().min(1).max(65536),
});
export type NodeCertificateResponse = z.infer<typeof NodeCertificateResponse>;
