/**
 * Reading certificates: what they say (names, validity, key fingerprint), the CA hash a join token
 * pins, chain verification, and when a certificate is due for renewal.
 */
import { createHash, createPublicKey, X509Certificate as NodeX509 } from 'node:crypto';
import { subjectFields } from './csr.js';
import { InvalidCertificateError } from './errors.js';
import { spkiSha256 } from './keys.js';
import { decodeOnePem, decodePem, encodePem, MAX_BUNDLE_CERTIFICATES } from './pem.js';
import { x509 } from './x509-lib.js';

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

/**
 * Splits a CA bundle (one or more PEM certificates) into its certificates' PEM, checking each parses.
 * Refuses an empty, oversized or non-certificate bundle.
 */
export function splitCertificateBundle(pem: string): string[] {
  const blocks = decodePem(pem, 'CA bundle');
  if (blocks.length > MAX_BUNDLE_CERTIFICATES) {
    throw new InvalidCertificateError(`CA bundle: more than ${MAX_BUNDLE_CERTIFICATES} certificates`);
  }
  return blocks.map((b) => {
    if (b.label !== 'CERTIFICATE') throw new InvalidCertificateError(`CA bundle: a "${b.label}" PEM block`);
    parseCertificate(b.der);
    return encodePem('CERTIFICATE', b.der);
  });
}

/**
 * The CA hash a join token pins: sha256 hex over the DER of the bundle's certificates, in order (for
 * the usual one-certificate CA, the sha256 of its DER). Whitespace and PEM line wrapping do not change
 * it; any change to a certificate does.
 */
export function caHash(caPem: string): string {
  const hash = createHash('sha256');
  for (const b of decodePem(caPem, 'CA bundle')) {
    if (b.label !== 'CERTIFICATE') throw new InvalidCertificateError(`CA bundle: a "${b.label}" PEM block`);
    hash.update(b.der);
  }
  return hash.digest('hex');
}

/**
 * Verifies that `certPem` was issued and signed by one of the CA bundle's certificates and is valid at
 * `now`. Throws {@link InvalidCertificateError} naming the failure.
 */
export function verifyCertificate(certPem: string, caPem: string, now: Date): void {
  const cert = new NodeX509(decodeOnePem(certPem, 'CERTIFICATE', 'certificate'));
  const signedByCa = splitCertificateBundle(caPem).some((ca) => {
    const issuer = new NodeX509(ca);
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  });
  if (!signedByCa) throw new InvalidCertificateError('certificate: not signed by the cluster CA');
  const info = parseCertificate(cert.raw);
  if (now < info.notBefore) throw new InvalidCertificateError('certificate: not yet valid');
  if (now > info.notAfter) throw new InvalidCertificateError('certificate: expired');
}

/**
 * When a certificate should be renewed: `fraction` of the way from its notBefore to its notAfter
 * (two thirds by default, as the issue asks; the kubelet renews at 70–90%).
 */
export function renewAt(certPem: string, fraction = 2 / 3): Date {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError('fraction must be between 0 and 1');
  const { notBefore, notAfter } = certificateInfo(certPem);
  return new Date(notBefore.getTime() + fraction * (notAfter.getTime() - notBefore.getTime()));
}
