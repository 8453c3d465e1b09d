/**
 * PKCS#10 certificate signing requests: a node (or user) makes one from a key that never leaves it;
 * the hub parses it, checks its signature proves possession of that key, and signs a certificate for
 * the key under a name the hub chooses.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { InvalidCsrError } from './errors.js';
import { p256PrivateKey, p256PublicKey, spkiSha256 } from './keys.js';
import { decodeOnePem, encodePem } from './pem.js';
import { ECDSA_SHA256, importPublicKey, importSigningKey, x509 } from './x509-lib.js';

/** Creates a CSR (PEM) for the key pair, subject `O=<organizations>, CN=<commonName>`. */
export async function createCsr(opts: {
  privateKeyPem: string;
  publicKeyPem: string;
  commonName: string;
  organizations?: readonly string[];
}): Promise<string> {
  const privateKey = await importSigningKey(
    p256PrivateKey(opts.privateKeyPem).export({ type: 'pkcs8', format: 'der' }),
  );
  const publicKey = await importPublicKey(p256PublicKey(opts.publicKeyPem).export({ type: 'spki', format: 'der' }));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [...(opts.organizations ?? []).map((o) => ({ O: [o] })), { CN: [opts.commonName] }],
    keys: { privateKey, publicKey },
    signingAlgorithm: ECDSA_SHA256,
  });
  return encodePem('CERTIFICATE REQUEST', csr.rawData);
}

/** What a verified CSR asks for. */
export interface ParsedCsr {
  commonName: string;
  organizations: string[];
  /** The requested key (SPKI PEM, P-256). */
  publicKeyPem: string;
  /** sha256 hex of the key's SPKI DER. */
  spkiSha256: string;
}

/**
 * Parses a CSR and verifies its self-signature (proof that the requester holds the private key).
 * Anything malformed, oversized, unsigned, badly signed, not P-256 or without exactly one CN is
 * refused with an {@link InvalidCsrError} naming the defect.
 */
export async function parseCsr(pem: string): Promise<ParsedCsr> {
  const der = decodeOnePem(pem, 'CERTIFICATE REQUEST', 'certificate signing request', InvalidCsrError);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch {
    throw new InvalidCsrError('certificate signing request: not a PKCS#10 request');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    throw new InvalidCsrError('certificate signing request: its public key does not parse');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new InvalidCsrError('certificate signing request: the key must be ECDSA P-256');
  }
  // A signature that fails to parse counts as one that does not verify.
  const verified = await csr.verify().catch(() => false);
  if (!verified) throw new InvalidCsrError('certificate signing request: its signature does not verify');
  const names = subjectFields(csr.subjectName, InvalidCsrError, 'certificate signing request');
  return {
    ...names,
    publicKeyPem: key.export({ type: 'spki', format: 'pem' }).toString(),
    spkiSha256: spkiSha256(key),
  };
}

/** The CN (exactly one, 1–256 characters) and the O values of a subject name. */
export function subjectFields(
  name: x509.Name,
  errorClass: new (message: string) => Error,
  what: string,
): { commonName: string; organizations: string[] } {
  const cns = name.getField('CN');
  const [commonName] = cns;
  if (cns.length !== 1 || commonName === undefined || commonName.length === 0 || commonName.length > 256) {
    throw new errorClass(`${what}: the subject must have exactly one common name (CN) of 1 to 256 characters`);
  }
  const organizations = name.getField('O');
  if (organizations.length > 32 || organizations.some((o) => o.length === 0 || o.length > 256)) {
    throw new errorClass(`${what}: at most 32 organizations (O) of 1 to 256 characters`);
  }
  return { commonName, organizations };
}
