/**
 * The hub's serving certificate, signed by the cluster CA, for every name a client may dial it by:
 * its listen address (every interface address when it listens on all), localhost, 127.0.0.1, ::1, the
 * host name and the `--tls-san` names. Reused across restarts; issued again when a name is missing,
 * when it is past its renewal time, or when the CA changed.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, issueCertificate, renewAt, verifyCertificate, type CaPem } from '../../pki/index.js';
import { readIfExists } from '../../durable/index.js';
import { writeCert, writeKey } from './pki-files.js';

/** One year, as K3s's serving and client certificates. */
export const DEFAULT_SERVING_CERT_LIFETIME_SECONDS = 365 * 24 * 3600;

/** The names a serving certificate covers. */
export interface ServingNames {
  dnsNames: string[];
  ipAddresses: string[];
}

/** A certificate and its private key (PEM). */
export interface CertKeyPem {
  certPem: string;
  keyPem: string;
}

const ANY = new Set(['0.0.0.0', '::', '']);

/** The names of a hub listening on `host`, plus `extraSans` (each an IP address or a DNS name). */
export function servingNames(host: string, extraSans: readonly string[] = []): ServingNames {
  const dns = new Set<string>(['localhost']);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  const host0 = hostname().toLowerCase();
  if (/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(host0)) dns.add(host0);
  if (ANY.has(host)) {
    // Listening on every interface: a client may dial any of its addresses.
    for (const addrs of Object.values(networkInterfaces())) {
      for (const a of addrs ?? []) if (!a.address.startsWith('fe80:')) ips.add(a.address);
    }
  }
  for (const name of [host, ...extraSans]) {
    if (ANY.has(name)) continue;
    if (isIP(name) !== 0) ips.add(name);
    else dns.add(name.toLowerCase());
  }
  return { dnsNames: [...dns].sort(), ipAddresses: [...ips].sort() };
}

/** True when `certPem` covers every name of `names`. */
function coversAll(certPem: string, names: ServingNames): boolean {
  const cert = new X509Certificate(certPem);
  return (
    names.dnsNames.every((n) => cert.checkHost(n, { wildcards: false }) !== undefined) &&
    names.ipAddresses.every((ip) => cert.checkIP(ip) !== undefined)
  );
}

/** True when the key is the certificate's (a crash between writing the two can leave them apart). */
function keyMatches(pair: CertKeyPem): boolean {
  try {
    const fromKey = createPublicKey(pair.keyPem).export({ type: 'spki', format: 'der' });
    const fromCert = new X509Certificate(pair.certPem).publicKey.export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}

/** Why an existing serving certificate must be issued again, or undefined when it is still good. */
export function reissueReason(current: CertKeyPem, ca: CaPem, names: ServingNames, now: Date): string | undefined {
  try {
    verifyCertificate(current.certPem, ca.certPem, now);
  } catch {
    return 'not valid under the cluster CA';
  }
  if (!keyMatches(current)) return 'its key does not match it';
  if (!coversAll(current.certPem, names)) return 'its names changed';
  if (now >= renewAt(current.certPem)) return 'it is due for renewal';
  return undefined;
}

/** Issues a new serving certificate (new key) for `names`. */
export async function issueServingCert(opts: {
  ca: CaPem;
  names: ServingNames;
  lifetimeSeconds: number;
  now: Date;
}): Promise<CertKeyPem> {
  const keys = await generateKeyPair();
  const certPem = await issueCertificate({
    ca: opts.ca,
    publicKeyPem: keys.publicKeyPem,
    commonName: 'edge-hub',
    dnsNames: opts.names.dnsNames,
    ipAddresses: opts.names.ipAddresses,
    usages: ['server'],
    lifetimeSeconds: opts.lifetimeSeconds,
    now: opts.now,
  });
  return { certPem, keyPem: keys.privateKeyPem };
}

/** Paths of the serving certificate files in `pkiDir`. */
export const servingPaths = (pkiDir: string): { cert: string; key: string } => ({
  cert: join(pkiDir, 'serving.crt'),
  key: join(pkiDir, 'serving.key'),
});

/** Writes a serving certificate and key (the key first: a certificate is never on disk without it). */
export async function saveServingCert(pkiDir: string, cert: CertKeyPem): Promise<void> {
  const paths = servingPaths(pkiDir);
  await writeKey(paths.key, cert.keyPem);
  await writeCert(paths.cert, cert.certPem);
}

/** Reads the stored serving certificate, or undefined when either file is missing. */
export async function loadServingCert(pkiDir: string): Promise<CertKeyPem | undefined> {
  const paths = servingPaths(pkiDir);
  const [certPem, keyPem] = await Promise.all([readIfExists(paths.cert), readIfExists(paths.key)]);
  return certPem !== undefined && keyPem !== undefined ? { certPem, keyPem } : undefined;
}
