/**
 * Getting a node certificate signed: a CSR for the node's key, sent to a hub (the bootstrap token at a
 * first join, the current certificate for a renewal), and the answer checked before it is trusted.
 */
import { createPublicKey } from 'node:crypto';
import { errorMessage, systemClock } from '../../api/index.js';
import { certificateFacts, verifyCertificate } from '../../pki/lite.js';
import { CertificateRequestError, requestNodeCertificate, type CertificateRequestAuth } from './certificate-client.js';
import { NodeIdentityError, type NodeIdentityOptions } from './node-identity-options.js';
import { keySpkiSha256 } from './pki-files.js';

/** Node subject names, as the hub checks them. */
export const commonNameOf = (node: string): string => `system:node:${node}`;
const NODES_GROUP = 'system:nodes';

/**
 * A first join: `obtain` from the current hub, then from each other hub the node knows while the one
 * asked cannot answer (no answer at all, or 5xx); the last such failure is thrown when none could.
 */
export async function obtainFromAnyHub(
  opts: NodeIdentityOptions,
  caPem: string,
  keyPem: string,
  token: string,
): Promise<{ certPem: string; signerCaPem: string }> {
  const first = typeof opts.hubBase === 'string' ? opts.hubBase : opts.hubBase();
  const bases = [...new Set([first, ...(opts.hubs?.() ?? [])])];
  let last: unknown;
  for (const [i, hubBase] of bases.entries()) {
    try {
      return await obtain({ ...opts, hubBase }, caPem, keyPem, { token });
    } catch (err) {
      const unavailable = err instanceof CertificateRequestError && (err.status === 0 || err.status >= 500);
      if (!unavailable || i === bases.length - 1) throw err;
      opts.logger.warn({ hub: hubBase, err: err.message }, 'joining through this hub failed; trying the next one');
      last = err;
    }
  }
  throw last;
}

/**
 * Makes a CSR for `keyPem`, has the hub sign it, and checks the answer before it is trusted: the
 * certificate must be for this key and verify under the CA the hub names as its signer. That CA is
 * taken on the hub's word, which is as good as the pinned connection (`caPem`) it came over.
 */
export async function obtain(
  opts: NodeIdentityOptions,
  caPem: string,
  keyPem: string,
  auth: CertificateRequestAuth,
): Promise<{ certPem: string; signerCaPem: string }> {
  const publicKeyPem = createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();
  // The CSR needs the ASN.1 stack: loaded only now (join, renewal), not held by every idle agent.
  const { createCsr } = await import('../../pki/index.js');
  const csr = await createCsr({
    privateKeyPem: keyPem,
    publicKeyPem,
    commonName: commonNameOf(opts.nodeName),
    organizations: [NODES_GROUP],
  });
  let answer;
  try {
    answer = await requestNodeCertificate({
      hubBase: opts.hubBase,
      caPem,
      auth,
      body: { csr, ...(opts.address !== undefined ? { address: opts.address } : {}) },
    });
  } catch (err) {
    if (err instanceof CertificateRequestError && err.status === 409 && 'token' in auth)
      throw new NodeIdentityError(err.message);
    if (err instanceof CertificateRequestError && err.status === 401 && 'token' in auth)
      throw new NodeIdentityError(`${err.message}; check the bootstrap token (--token-file / EDGE_JOIN_TOKEN)`);
    throw err;
  }
  const certPem = answer.certificate;
  const signerCaPem = answer.caCertificate;
  const problem = certificateProblem(certPem, signerCaPem, new Date((opts.clock ?? systemClock).now()));
  if (problem !== undefined) throw new CertificateRequestError(`the hub's answer is unusable: ${problem}`, 0);
  if (certificateFacts(certPem).spkiSha256 !== keySpkiSha256(keyPem))
    throw new CertificateRequestError("the hub's answer certifies another key", 0);
  return { certPem, signerCaPem };
}

/** Why a certificate cannot be used under `caPem` at `now`, or undefined. */
export function certificateProblem(certPem: string, caPem: string, now: Date): string | undefined {
  try {
    verifyCertificate(certPem, caPem, now);
    return undefined;
  } catch (err) {
    return errorMessage(err);
  }
}
