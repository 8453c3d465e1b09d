/**
 * Key pairs: ECDSA P-256 everywhere (small, fast to generate and to verify on Pi-class devices), PEM
 * encoded as PKCS#8 (private) and SPKI (public), the forms Node's `tls` and every other tool read.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generate,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { InvalidKeyError } from './errors.js';
import { MAX_PEM_BYTES } from './pem.js';

const generateAsync = promisify(generate);

/** A PEM key pair. The private key is a secret: never log it. */
export interface KeyPairPem {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** SPKI PEM. */
  publicKeyPem: string;
}

/** Generates a fresh ECDSA P-256 key pair. */
export async function generateKeyPair(): Promise<KeyPairPem> {
  const { privateKey, publicKey } = await generateAsync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/** Parses a public key PEM (SPKI), refusing anything but a P-256 key. */
export function p256PublicKey(publicKeyPem: string): KeyObject {
  let key: KeyObject;
  try {
    if (publicKeyPem.length > MAX_PEM_BYTES) throw new Error('too large');
    key = createPublicKey({ key: publicKeyPem, format: 'pem' });
  } catch {
    throw new InvalidKeyError('public key: not a PEM SPKI public key');
  }
  requireP256(key, 'public key');
  return key;
}

/** Parses a private key PEM (PKCS#8 or SEC1), refusing anything but a P-256 key. */
export function p256PrivateKey(privateKeyPem: string): KeyObject {
  let key: KeyObject;
  try {
    if (privateKeyPem.length > MAX_PEM_BYTES) throw new Error('too large');
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch {
    // The message never includes the key: it is a secret.
    throw new InvalidKeyError('private key: not a PEM private key');
  }
  requireP256(key, 'private key');
  return key;
}

function requireP256(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new InvalidKeyError(`${what}: must be ECDSA P-256, is ${key.asymmetricKeyType ?? 'unknown'}`);
  }
}

/** sha256 hex of a public key's SPKI DER: the key's stable fingerprint (pinning, identity). */
export function spkiSha256(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}
