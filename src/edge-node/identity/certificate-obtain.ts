/**
 * One certificate request, done where it runs: a CSR for the node's key, sent to a hub (the bootstrap
 * token at a first join, the current certificate for a renewal), and the answer checked before it is
 * trusted. It runs in the short-lived certificate worker (`certificate-worker.ts`), so the ASN.1 stack
 * and undici it needs are never held by the agent's main thread.
 */
import { createPublicKey } from 'node:crypto';
import { certificateFacts } from '../../pki/lite.js';
import { createCsr } from '../../pki/index.js';
import { CertificateRequestError, requestNodeCertificate } from './certificate-client.js';
import { certificateProblem, commonNameOf } from './certificate-signing.js';
import type { ObtainRequest } from './certificate-worker-host.js';
import { NodeIdentityError } from './node-identity-options.js';
import { keySpkiSha256 } from './pki-files.js';

const NODES_GROUP = 'system:nodes';

/**
 * Makes the CSR, has the hub sign it, and checks the answer: the certificate must be for this key and
 * verify under the CA the hub names as its signer. That CA is taken on the hub's word, which is as good
 * as the pinned connection (`caPem`) it came over.
 */
export async function obtainHere(req: ObtainRequest): Promise<{ certPem: string; signerCaPem: string }> {
  const publicKeyPem = createPublicKey(req.keyPem).export({ type: 'spki', format: 'pem' }).toString();
  const csr = await createCsr({
    privateKeyPem: req.keyPem,
    publicKeyPem,
    commonName: commonNameOf(req.nodeName),
    organizations: [NODES_GROUP],
  });
  let answer;
  try {
    answer = await requestNodeCertificate({
      hubBase: req.hubBase,
      caPem: req.caPem,
      auth: req.auth,
      body: { csr, ...(req.address !== undefined ? { address: req.address } : {}) },
    });
  } catch (err) {
    if (err instanceof CertificateRequestError && err.status === 409 && 'token' in req.auth)
      throw new NodeIdentityError(err.message);
    if (err instanceof CertificateRequestError && err.status === 401 && 'token' in req.auth)
      throw new NodeIdentityError(`${err.message}; check the bootstrap token (--token-file / EDGE_JOIN_TOKEN)`);
    throw err;
  }
  const certPem = answer.certificate;
  const signerCaPem = answer.caCertificate;
  const problem = certificateProblem(certPem, signerCaPem, new Date(Date.now() + req.clockOffsetMs));
  if (problem !== undefined) throw new CertificateRequestError(`the hub's answer is unusable: ${problem}`, 0);
  if (certificateFacts(certPem).spkiSha256 !== keySpkiSha256(req.keyPem))
    throw new CertificateRequestError("the hub's answer certifies another key", 0);
  return { certPem, signerCaPem };
}
