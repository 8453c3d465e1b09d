/**
 * The one file of the pki area that loads `@peculiar/x509`. Its dependency-injection container
 * (tsyringe) needs `reflect-metadata` evaluated first, and it must use Node's WebCrypto: both are done
 * here, once, so every other file imports the library through this one.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// The library types its provider as the DOM `Crypto`, which this project's lib settings leave out;
// Node's `webcrypto` implements it.
x509.cryptoProvider.set(webcrypto as never);

export { x509 };

/** The signature algorithm of every certificate and request this area makes (keys are P-256). */
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Imports a PKCS#8 PEM P-256 private key as a WebCrypto signing key. */
export async function importSigningKey(der: Buffer): Promise<webcrypto.CryptoKey> {
  return await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
}

/** Imports an SPKI P-256 public key as a WebCrypto key (for the request's key pair). */
export async function importPublicKey(der: Buffer): Promise<webcrypto.CryptoKey> {
  return await webcrypto.subtle.importKey('spki', der, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
}

/** Generates an extractable P-256 WebCrypto key pair (for a CA, whose key is then stored as PEM). */
export async function generateSigningKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
}

/** Exports a WebCrypto private key as PKCS#8 DER. */
export async function exportPkcs8(key: webcrypto.CryptoKey): Promise<Buffer> {
  return Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
}
