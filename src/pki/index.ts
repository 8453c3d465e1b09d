/**
 * The cluster PKI: ECDSA P-256 keys, the cluster CA and the certificates it issues, certificate
 * signing requests, CA hashes and K3s-style join tokens (`K10<ca-hash>::<secret>`). Pure functions
 * over PEM text (time is passed in); used by the hub (its CA, serving and client certificates), the
 * node (pinning the hub's CA, its own key and CSR) and edgectl. Imports only `src/api`.
 */
export { generateKeyPair, type KeyPairPem } from './keys.js';
export {
  createCa,
  issueCertificate,
  type CaPem,
  type CertificateUsage,
  type IssueCertificateOptions,
} from './certificates.js';
export { createCsr, parseCsr, type ParsedCsr } from './csr.js';
export {
  caHash,
  certificateInfo,
  renewAt,
  splitCertificateBundle,
  verifyCertificate,
  type CertificateInfo,
} from './info.js';
export { formatJoinToken, parseJoinToken, type JoinToken } from './join-token.js';
export { InvalidCertificateError, InvalidCsrError, InvalidJoinTokenError, InvalidKeyError } from './errors.js';
