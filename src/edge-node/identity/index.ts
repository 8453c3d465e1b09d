/**
 * The node's identity: its key and certificate from the hub (bootstrap token once, then the
 * certificate), kept in `<data-dir>/pki/` and rotated automatically. The session, blob downloads and
 * (next) the mesh take their TLS material from here; `onRotate` tells them when it changes.
 */
export { NodeIdentity, NodeIdentityError, type NodeIdentityOptions, type NodeTlsMaterial } from './node-identity.js';
export { nodePkiPaths, type NodePkiPaths } from './pki-files.js';
export { CertificateRequestError } from './certificate-client.js';
