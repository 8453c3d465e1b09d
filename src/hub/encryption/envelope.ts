/**
 * Envelope encryption of one stored value, as Kubernetes' `aesgcm` provider prefixes it: the stored
 * string is `k8s:enc:aesgcm:v1:<keyname>:` followed by base64 of
 * `wrapped data key (12-byte nonce ‖ 32 bytes ‖ 16-byte tag) ‖ 12-byte nonce ‖ ciphertext ‖ 16-byte tag`.
 * Each value gets a random AES-256 data key, wrapped by the keyring's primary key; the store key is
 * the additional authenticated data of both, so a ciphertext copied under another key does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';

/** The prefix of every value this module encrypts (its version is the format's). */
export const ENVELOPE_PREFIX = 'k8s:enc:aesgcm:v1:';
const NONCE = 12;
const TAG = 16;
const DEK = 32;
const WRAPPED = NONCE + DEK + TAG;

/** A stored value that cannot be decrypted (unknown key, tampered bytes); never carries plaintext. */
export class DecryptionError extends Error {}

function seal(key: Buffer, plain: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE);
  const c = createCipheriv('aes-256-gcm', key, nonce).setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE)).setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  return Buffer.concat([d.update(sealed.subarray(NONCE, sealed.length - TAG)), d.final()]);
}

/** True for a value stored by {@link encryptValue}. */
export function isEnvelope(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENVELOPE_PREFIX);
}

/** The name of the key that encrypted `value`. */
export function envelopeKeyName(value: string): string {
  return value.slice(ENVELOPE_PREFIX.length, value.indexOf(':', ENVELOPE_PREFIX.length));
}

/** Encrypts the JSON of `value`, stored under `storeKey`, with the keyring's primary key. */
export function encryptValue(keyring: Keyring, storeKey: string, value: unknown): string {
  const aad = Buffer.from(storeKey, 'utf8');
  const dek = randomBytes(DEK);
  const wrapped = seal(keyring.primary.key, dek, aad);
  const body = seal(dek, Buffer.from(JSON.stringify(value), 'utf8'), aad);
  return `${ENVELOPE_PREFIX}${keyring.primary.name}:${Buffer.concat([wrapped, body]).toString('base64')}`;
}

/** Decrypts a value of {@link encryptValue} stored under `storeKey`. */
export function decryptValue(keyring: Keyring, storeKey: string, stored: string): unknown {
  const name = envelopeKeyName(stored);
  const kek = keyring.key(name);
  if (kek === undefined)
    throw new DecryptionError(`cannot decrypt ${storeKey}: key "${name}" is not in the encryption keyring`);
  const raw = Buffer.from(stored.slice(ENVELOPE_PREFIX.length + name.length + 1), 'base64');
  const aad = Buffer.from(storeKey, 'utf8');
  try {
    if (raw.length < WRAPPED + NONCE + TAG) throw new Error('too short');
    const dek = open(kek, raw.subarray(0, WRAPPED), aad);
    return JSON.parse(open(dek, raw.subarray(WRAPPED), aad).toString('utf8'));
  } catch {
    throw new DecryptionError(
      `cannot decrypt ${storeKey}: the stored value is damaged or was not made with key "${name}"`,
    );
  }
}
