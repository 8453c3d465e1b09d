/**
 * Reading certificates: what they say (names, validity, key fingerprint), the CA hash a join token
 * pins, chain verification, and when a certificate is due for renewal.
 */
import { createPublicKey } from 'node:crypto';
import { subjectFields } from './csr.js';
import { InvalidCertificateError } from './errors.js';
import { spkiSha256 } from './keys.js';
import { decodeOnePem } from './pem.js';
import { x509 } from './x509-lib.js';

// Chain checks, CA hashes and bundles need no ASN.1 library: Node's own X509Certificate does them (`lite.ts`).
export { caHash, renewAt, splitCertificateBundle, verifyCertificate } from './lite.js';

/** What a certificate says. */
export interface CertificateInfo {
  commonName: string;
  organizations: string[];
  notBefore: Date;
  notAfter: Date;
  /** sha256 hex of the certified key's SPKI DER. */
  spkiSha256: string;
  /** Serial number, lower-case hex. */
  serial: string;
}

function parseCertificate(der: Buffer): x509.X509Certificate {
  try {
    return new x509.X509Certificate(der);
  } catch {
    throw new InvalidCertificateError('certificate: not an X.509 certificate');
  }
}

/** Parses one PEM certificate. Throws {@link InvalidCertificateError} on anything else. */
export function certificateInfo(pem: string): CertificateInfo {
  const cert = parseCertificate(decodeOnePem(pem, 'CERTIFICATE', 'certificate'));
  const names = subjectFields(cert.subjectName, InvalidCertificateError, 'certificate');
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    throw new InvalidCertificateError('certificate: its public key does not parse');
  }
  return {
    ...names,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    spkiSha256: spkiSha256(key),
    serial: cert.serialNumber.toLowerCase(),
  };
}
