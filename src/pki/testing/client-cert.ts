/** Test helper: a client certificate that `ca` issued to a user, valid for an hour. */
import { generateKeyPair, issueCertificate, type CaPem } from '../index.js';

/** A client certificate (CN `name`, O `groups`) signed by `ca`, and its key, as PEM. */
export async function userClientCert(
  ca: CaPem,
  name: string,
  groups: string[],
): Promise<{ certPem: string; keyPem: string }> {
  const keys = await generateKeyPair();
  const certPem = await issueCertificate({
    ca,
    publicKeyPem: keys.publicKeyPem,
    commonName: name,
    organizations: groups,
    usages: ['client'],
    lifetimeSeconds: 3600,
    now: new Date(),
  });
  return { certPem, keyPem: keys.privateKeyPem };
}
