/**
 * Getting a node certificate signed, from the agent's side: each request (a first join, a renewal) runs
 * in the certificate worker (`certificate-worker-host.ts`, which says why; `certificate-obtain.ts` is
 * what it runs), and its outcome is made a typed error again here.
 */
import { errorMessage, systemClock } from '../../api/index.js';
import { verifyCertificate } from '../../pki/lite.js';
import { CertificateRequestError, type CertificateRequestAuth } from './certificate-client.js';
import type { CertificateWorkerHost, ObtainRequest } from './certificate-worker-host.js';
import { NodeIdentityError, type NodeIdentityOptions } from './node-identity-options.js';

/** Node subject names, as the hub checks them. */
export const commonNameOf = (node: string): string => `system:node:${node}`;

/**
 * A first join: `obtain` from the current hub, then from each other hub the node knows while the one
 * asked cannot answer (no answer at all, or 5xx); the last such failure is thrown when none could.
 */
export async function obtainFromAnyHub(
  opts: NodeIdentityOptions,
  caPem: string,
  keyPem: string,
  token: string,
  workers: CertificateWorkerHost,
): Promise<{ certPem: string; signerCaPem: string }> {
  const first = typeof opts.hubBase === 'string' ? opts.hubBase : opts.hubBase();
  const bases = [...new Set([first, ...(opts.hubs?.() ?? [])])];
  let last: unknown;
  for (const [i, hubBase] of bases.entries()) {
    try {
      return await obtain({ ...opts, hubBase }, caPem, keyPem, { token }, workers);
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
 * Has the hub sign a certificate for `keyPem` (see `obtainHere`), in the certificate worker (the caller
 * releases it). Rejects with the worker's error, typed again: `CertificateRequestError` (with the hub's
 * status; 0 when there was no answer, or the worker itself failed) or `NodeIdentityError`.
 */
export async function obtain(
  opts: NodeIdentityOptions,
  caPem: string,
  keyPem: string,
  auth: CertificateRequestAuth,
  workers: CertificateWorkerHost,
): Promise<{ certPem: string; signerCaPem: string }> {
  const req: ObtainRequest = {
    hubBase: typeof opts.hubBase === 'string' ? opts.hubBase : opts.hubBase(),
    nodeName: opts.nodeName,
    ...(opts.address !== undefined ? { address: opts.address } : {}),
    caPem,
    keyPem,
    auth,
    clockOffsetMs: (opts.clock ?? systemClock).now() - Date.now(),
  };
  const outcome = await workers.request(req);
  if (outcome.ok) return { certPem: outcome.certPem, signerCaPem: outcome.signerCaPem };
  if (outcome.kind === 'identity') throw new NodeIdentityError(outcome.message);
  throw new CertificateRequestError(outcome.message, outcome.status);
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
