/**
 * The cluster CA: created on the hub's first start (`<data-dir>/pki/ca.crt`, `ca.key` 0600) and reused
 * after. It signs the hub's serving certificate (and, next, node and user client certificates); its
 * hash is what a join token pins.
 */
import { join } from 'node:path';
import { certificateInfo, createCa, type CaPem } from '../../pki/index.js';
import { readIfExists } from '../../durable/index.js';
import { writeCert, writeKey } from './pki-files.js';

/** Ten years, as K3s's and kubeadm's CAs. */
export const DEFAULT_CA_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

/** Paths of the CA files in `pkiDir`. */
export const caPaths = (pkiDir: string): { cert: string; key: string } => ({
  cert: join(pkiDir, 'ca.crt'),
  key: join(pkiDir, 'ca.key'),
});

/**
 * Loads the cluster CA from `pkiDir`, creating it when absent. The key is written before the
 * certificate, so a crash between the two leaves no certificate, and the next start creates both again
 * (nothing was signed by that key yet). A certificate without its key is an error: regenerating would
 * silently change the CA every node pins.
 */
export async function loadOrCreateClusterCa(opts: {
  pkiDir: string;
  now: Date;
  lifetimeSeconds?: number;
}): Promise<{ ca: CaPem; created: boolean }> {
  const paths = caPaths(opts.pkiDir);
  const certPem = await readIfExists(paths.cert);
  if (certPem !== undefined) {
    const keyPem = await readIfExists(paths.key);
    if (keyPem === undefined) {
      throw new Error(`${paths.cert} exists but its key ${paths.key} does not: restore the key or remove both`);
    }
    certificateInfo(certPem); // a damaged file fails here, named, rather than at the first handshake
    return { ca: { certPem, keyPem }, created: false };
  }
  const ca = await createCa({
    commonName: `edgeplane-ca@${Math.floor(opts.now.getTime() / 1000)}`,
    lifetimeSeconds: opts.lifetimeSeconds ?? DEFAULT_CA_LIFETIME_SECONDS,
    now: opts.now,
  });
  await writeKey(paths.key, ca.keyPem);
  await writeCert(paths.cert, ca.certPem);
  return { ca, created: true };
}
