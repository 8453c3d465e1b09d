/**
 * The node's PKI files in `<data-dir>/pki/`: `node.key` (its private key, 0600, never leaves the node),
 * `node.crt` (its certificate, 0600), `hub-ca.crt` (the hub's CA, pinned at join), `node-ca.crt` (the CA
 * that signs node certificates, as the hub sent it with the node's certificate). A rotation writes
 * the new key beside the old one (`node.key.next`), then the certificate, then moves the key in: a
 * power cut at any point leaves a key and a certificate that belong together.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, readIfExists, writeFileDurable } from '../../durable/index.js';
import { certificateFacts } from '../../pki/lite.js';

/** Paths of the node's PKI files. */
export interface NodePkiPaths {
  dir: string;
  key: string;
  cert: string;
  nextKey: string;
  hubCa: string;
  /** The signer of node certificates; absent on nodes that joined before it was kept (then: `hubCa`). */
  signerCa: string;
}

/** The PKI paths under a node's data dir. */
export function nodePkiPaths(dataDir: string): NodePkiPaths {
  const dir = join(dataDir, 'pki');
  return {
    dir,
    key: join(dir, 'node.key'),
    cert: join(dir, 'node.crt'),
    nextKey: join(dir, 'node.key.next'),
    hubCa: join(dir, 'hub-ca.crt'),
    signerCa: join(dir, 'node-ca.crt'),
  };
}

/** A key and the certificate for it (PEM). The key is a secret: never log it. */
export interface KeyCertPem {
  keyPem: string;
  certPem: string;
}

/** sha256 hex of the SPKI DER of a private key's public half (what certificates are bound by). */
export function keySpkiSha256(keyPem: string): string {
  const spki = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

function belongTogether(keyPem: string, certPem: string): boolean {
  try {
    return keySpkiSha256(keyPem) === certificateFacts(certPem).spkiSha256;
  } catch {
    return false;
  }
}

/**
 * The stored key and certificate, finishing a rotation a crash interrupted (a `node.key.next` that
 * matches `node.crt` is moved in; one that does not is an unfinished request and removed). Undefined
 * when there is no certificate yet; `keyPem` alone when a key was made but never certified.
 */
export async function loadNodeCredentials(
  paths: NodePkiPaths,
): Promise<{ keyPem?: string; certPem?: string } | undefined> {
  const certPem = await readIfExists(paths.cert);
  const nextKey = await readIfExists(paths.nextKey);
  if (nextKey !== undefined) {
    if (certPem !== undefined && belongTogether(nextKey, certPem)) {
      await rename(paths.nextKey, paths.key);
      await fsyncDir(paths.dir);
    } else {
      await unlink(paths.nextKey);
    }
  }
  const keyPem = await readIfExists(paths.key);
  if (keyPem === undefined) return undefined;
  if (certPem === undefined || !belongTogether(keyPem, certPem)) return { keyPem };
  return { keyPem, certPem };
}

/** Writes a first key (before its certificate is asked for, so a retried join reuses it). */
export async function saveNodeKey(paths: NodePkiPaths, keyPem: string): Promise<void> {
  await writeFileDurable(paths.key, keyPem, { mode: 0o600 });
}

/** Writes the certificate of the key already in `node.key`. */
export async function saveNodeCert(paths: NodePkiPaths, certPem: string): Promise<void> {
  await writeFileDurable(paths.cert, certPem, { mode: 0o600 });
}

/**
 * Writes the CA bundle that signs node certificates (public: 0644). Written before the certificate it
 * signed; a certificate that it does not verify is checked against the pinned hub CA as well on load.
 */
export async function saveSignerCa(paths: NodePkiPaths, caPem: string): Promise<void> {
  await writeFileDurable(paths.signerCa, caPem, { mode: 0o644 });
}

/** Replaces key and certificate with a rotated pair, power-cut safe (see the file comment). */
export async function saveRotated(paths: NodePkiPaths, next: KeyCertPem): Promise<void> {
  await writeFileDurable(paths.nextKey, next.keyPem, { mode: 0o600 });
  await writeFileDurable(paths.cert, next.certPem, { mode: 0o600 });
  await rename(paths.nextKey, paths.key);
  await fsyncDir(paths.dir);
}
