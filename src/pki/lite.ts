/**
 * The PKI a node needs at every start, without `@peculiar/x509`: reading certificates with Node's own
 * `X509Certificate` (validity, key fingerprint, common name, chain checks), CA hashes, CA bundles and
 * join tokens. The ASN.1 stack behind `@peculiar/x509` holds about 10 MB of an idle agent's memory
 * (issue 20), and a node needs it only to make a CSR (at its join and at each renewal), so it loads
 * the full `index.ts` then, with `import()`. `certificateFacts` is held to `certificateInfo`'s verdicts
 * by `lite.test.ts`.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { InvalidCertificateError } from './errors.js';
import { spkiSha256 } from './keys.js';
import { decodeOnePem, decodePem, encodePem, MAX_BUNDLE_CERTIFICATES } from './pem.js';

export { parseJoinToken, type JoinToken } from './join-token.js';
export { generateKeyPair, type KeyPairPem } from './keys.js';
export { InvalidCertificateError, InvalidJoinTokenError } from './errors.js';

/** What a node reads of a certificate. */
export interface CertificateFacts {
  commonName: string;
  notBefore: Date;
  notAfter: Date;
  /** sha256 hex of the certified key's SPKI DER. */
  spkiSha256: string;
}

function parse(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new InvalidCertificateError('certificate: not an X.509 certificate');
  }
}

/** Node 22 has `validFromDate`; Node 20 only the string (`Dec  3 11:00:00 2026 GMT`). */
function dateOf(cert: X509Certificate, which: 'validFrom' | 'validTo'): Date {
  const withDate = cert as X509Certificate & { validFromDate?: Date; validToDate?: Date };
  const d = which === 'validFrom' ? withDate.validFromDate : withDate.validToDate;
  const out = d ?? new Date(cert[which]);
  if (Number.isNaN(out.getTime())) throw new InvalidCertificateError(`certificate: unreadable ${which}`);
  return out;
}

/** The one common name of a subject (`CN=…` lines of Node's multi-line form), else an error. */
function commonNameOf(cert: X509Certificate): string {
  const cns = cert.subject.split('\n').filter((l) => l.startsWith('CN='));
  const cn = cns[0]?.slice(3);
  if (cns.length !== 1 || cn === undefined || cn.length === 0 || cn.length > 256)
    throw new InvalidCertificateError(
      'certificate: the subject must have exactly one common name (CN) of 1 to 256 characters',
    );
  return cn;
}

/** Parses one PEM certificate. Throws {@link InvalidCertificateError} on anything else. */
export function certificateFacts(pem: string): CertificateFacts {
  const cert = parse(decodeOnePem(pem, 'CERTIFICATE', 'certificate'));
  let fingerprint;
  try {
    fingerprint = spkiSha256(cert.publicKey);
  } catch {
    throw new InvalidCertificateError('certificate: its public key does not parse');
  }
  return {
    commonName: commonNameOf(cert),
    notBefore: dateOf(cert, 'validFrom'),
    notAfter: dateOf(cert, 'validTo'),
    spkiSha256: fingerprint,
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
    parse(b.der);
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
  const cert = parse(decodeOnePem(certPem, 'CERTIFICATE', 'certificate'));
  const signedByCa = splitCertificateBundle(caPem).some((ca) => {
    const issuer = new X509Certificate(ca);
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  });
  if (!signedByCa) throw new InvalidCertificateError('certificate: not signed by the cluster CA');
  if (now < dateOf(cert, 'validFrom')) throw new InvalidCertificateError('certificate: not yet valid');
  if (now > dateOf(cert, 'validTo')) throw new InvalidCertificateError('certificate: expired');
}

/**
 * When a certificate should be renewed: `fraction` of the way from its notBefore to its notAfter
 * (two thirds by default, as the issue asks; the kubelet renews at 70–90%).
 */
export function renewAt(certPem: string, fraction = 2 / 3): Date {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError('fraction must be between 0 and 1');
  const { notBefore, notAfter } = certificateFacts(certPem);
  return new Date(notBefore.getTime() + fraction * (notAfter.getTime() - notBefore.getTime()));
}
