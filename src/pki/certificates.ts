/**
 * Certificates signed by the cluster CA: the CA itself and the leaf certificates it issues (the hub's
 * serving certificate, node and user client certificates). Built with `@peculiar/x509`; keys are
 * ECDSA P-256 and signatures ECDSA with SHA-256.
 */
import { randomBytes, type webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { InvalidCertificateError } from './errors.js';
import { p256PrivateKey, p256PublicKey } from './keys.js';
import { decodeOnePem, encodePem } from './pem.js';
import {
  ECDSA_SHA256,
  exportPkcs8,
  generateSigningKeyPair,
  importPublicKey,
  importSigningKey,
  x509,
} from './x509-lib.js';

/** A CA: its certificate and private key (PEM). The key is a secret: never log it. */
export interface CaPem {
  certPem: string;
  keyPem: string;
}

/** What a leaf certificate may be used for (its extended key usage). */
export type CertificateUsage = 'server' | 'client';

/** The longest lifetime accepted (a sanity bound: 100 years). */
const MAX_LIFETIME_SECONDS = 100 * 365 * 24 * 3600;

/**
 * How far `notBefore` is set back from `now`, so a peer whose clock is a little behind still accepts a
 * fresh certificate (Kubernetes' signer backdates by five minutes). Capped at a tenth of the lifetime,
 * so a certificate living seconds (tests) is not born with most of its life already spent.
 */
function backdateMs(lifetimeSeconds: number): number {
  return Math.min(5 * 60 * 1000, (lifetimeSeconds * 1000) / 10);
}

function validity(now: Date, lifetimeSeconds: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(lifetimeSeconds) || lifetimeSeconds <= 0 || lifetimeSeconds > MAX_LIFETIME_SECONDS) {
    throw new InvalidCertificateError(`lifetime must be between 1 second and 100 years, got ${lifetimeSeconds}`);
  }
  // X.509 times have second precision: round so notAfter - notBefore is what was asked for.
  const start = Math.floor((now.getTime() - backdateMs(lifetimeSeconds)) / 1000) * 1000;
  const end = Math.floor((now.getTime() + lifetimeSeconds * 1000) / 1000) * 1000;
  return { notBefore: new Date(start), notAfter: new Date(end) };
}

/** A random positive 16-byte serial (RFC 5280 allows up to 20 octets), as hex. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  // Positive (top bit clear) and minimally encoded (leading byte not zero).
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/** A subject name: organizations (O) first, then the common name (CN), as Kubernetes writes them. */
function subjectName(commonName: string, organizations: readonly string[] = []): x509.JsonName {
  if (commonName.length === 0 || commonName.length > 256) {
    throw new InvalidCertificateError('commonName must be 1 to 256 characters');
  }
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

/** Creates a self-signed cluster CA (ECDSA P-256, CA:TRUE, keyCertSign/cRLSign). */
export async function createCa(opts: { commonName: string; lifetimeSeconds: number; now: Date }): Promise<CaPem> {
  const keys = await generateSigningKeyPair();
  const name = subjectName(opts.commonName);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    ...validity(opts.now, opts.lifetimeSeconds),
    signingAlgorithm: ECDSA_SHA256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = encodePem('PRIVATE KEY', await exportPkcs8(keys.privateKey));
  return { certPem: cert.toString('pem') + '\n', keyPem };
}

/** What {@link issueCertificate} needs. */
export interface IssueCertificateOptions {
  ca: CaPem;
  /** The subject's public key (SPKI PEM, P-256). */
  publicKeyPem: string;
  commonName: string;
  /** Subject organizations (O): Kubernetes reads a client certificate's O as its groups. */
  organizations?: readonly string[];
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  usages: readonly CertificateUsage[];
  lifetimeSeconds: number;
  now: Date;
}

/** A CA parsed for signing: its certificate, its key imported, its key identifier extension. */
interface CaSigner {
  caCert: x509.X509Certificate;
  signingKey: webcrypto.CryptoKey;
  authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}

/**
 * Parsed CAs by their PEM. Parsing the CA certificate and importing its key cost more than signing
 * itself (node joins measured ~4–8 signatures/s on a loaded 2-core machine before this); a hub signs
 * with one CA (two around a rotation).
 */
const caSigners = new Map<string, Promise<CaSigner>>();
const MAX_CA_SIGNERS = 4;

function caSigner(ca: CaPem): Promise<CaSigner> {
  const key = `${ca.certPem}\0${ca.keyPem}`;
  let signer = caSigners.get(key);
  if (signer === undefined) {
    signer = (async () => {
      const caCert = new x509.X509Certificate(decodeOnePem(ca.certPem, 'CERTIFICATE', 'CA certificate'));
      const caKey = p256PrivateKey(ca.keyPem);
      const signingKey = await importSigningKey(caKey.export({ type: 'pkcs8', format: 'der' }));
      return { caCert, signingKey, authorityKeyId: await x509.AuthorityKeyIdentifierExtension.create(caCert) };
    })();
    // A CA that fails to parse is not kept: the caller sees the error, the next call tries again.
    signer.catch(() => caSigners.delete(key));
    if (caSigners.size >= MAX_CA_SIGNERS) caSigners.delete(caSigners.keys().next().value!);
    caSigners.set(key, signer);
  }
  return signer;
}

/**
 * Issues a leaf certificate signed by `ca` (random serial, subject/authority key identifiers,
 * extended key usage from `usages`) and returns it as PEM. The lifetime is capped at the CA's own
 * expiry: a certificate never outlives its issuer.
 */
export async function issueCertificate(opts: IssueCertificateOptions): Promise<string> {
  if (opts.usages.length === 0) throw new InvalidCertificateError('a certificate needs at least one usage');
  for (const ip of opts.ipAddresses ?? []) {
    if (isIP(ip) === 0) throw new InvalidCertificateError(`not an IP address: ${JSON.stringify(ip.slice(0, 64))}`);
  }
  for (const dns of opts.dnsNames ?? []) {
    if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(dns)) {
      throw new InvalidCertificateError(`not a DNS name: ${JSON.stringify(dns.slice(0, 64))}`);
    }
  }
  const { caCert, signingKey, authorityKeyId } = await caSigner(opts.ca);
  const publicKey = await importPublicKey(p256PublicKey(opts.publicKeyPem).export({ type: 'spki', format: 'der' }));
  const { notBefore, notAfter: wanted } = validity(opts.now, opts.lifetimeSeconds);
  const notAfter = wanted.getTime() > caCert.notAfter.getTime() ? caCert.notAfter : wanted;
  const sans: x509.JsonGeneralName[] = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const ekus = [...new Set(opts.usages)].map((u) =>
    u === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: subjectName(opts.commonName, opts.organizations),
    issuer: caCert.subjectName,
    notBefore,
    notAfter,
    signingAlgorithm: ECDSA_SHA256,
    publicKey,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(ekus, false),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      authorityKeyId,
      ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans, false)] : []),
    ],
  });
  return cert.toString('pem') + '\n';
}
