/** Test helper: a fresh CA and a server certificate for 127.0.0.1 it issued, valid for an hour. */
import { createCa, generateKeyPair, issueCertificate } from '../index.js';

/** PEMs of a throwaway CA and of a server certificate and key for `127.0.0.1`. */
export interface LoopbackServerCert {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Makes a CA named `caName` and a serving certificate for 127.0.0.1 signed by it. */
export async function loopbackServerCert(caName: string): Promise<LoopbackServerCert> {
  const now = new Date();
  const ca = await createCa({ commonName: caName, lifetimeSeconds: 3600, now });
  const keys = await generateKeyPair();
  const certPem = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    commonName: 'edge-hub',
    ipAddresses: ['127.0.0.1'],
    usages: ['server'],
    lifetimeSeconds: 3600,
    now,
  });
  return { caPem: ca.certPem, certPem, keyPem: keys.privateKeyPem };
}
