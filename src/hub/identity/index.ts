/**
 * Per-node identity on the hub: node certificates signed from CSRs (`node-signer.ts`), the binding of
 * node names to keys in the store (`node-credentials.ts`), and principals from verified client
 * certificates (`certificate-auth.ts`). The API server mounts the signing endpoint; the gateway and
 * the API authenticate with the authenticator.
 */
export { NODE_CREDENTIALS_ANNOTATION, NodeCredentials, NodeNameTakenError, boundKeys } from './node-credentials.js';
export {
  DEFAULT_NODE_CERT_LIFETIME_SECONDS,
  NODES_GROUP,
  NODE_CN_PREFIX,
  NodeCertificateSigner,
  nodeNameOf,
  type NodeCertificateRequest,
  type NodeCertificateRequester,
  type NodeCertificateSignerDeps,
  type SignedNodeCertificate,
} from './node-signer.js';
export { CertificateAuthenticator, MASTERS_GROUP, type CertificateAuthentication } from './certificate-auth.js';
export { mayBootstrap } from './may-bootstrap.js';
export {
  RevokedNodeKeys,
  REVOKED_KEYS_CONFIGMAP,
  REVOKED_KEYS_NAMESPACE,
  type RevokedNodeKeysDeps,
} from './revoked-keys.js';
export { RevocationPush, type RevocationTarget } from './revocation-push.js';
