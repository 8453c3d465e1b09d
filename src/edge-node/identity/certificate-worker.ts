/**
 * The certificate worker's entry (started by `CertificateWorkerHost`): runs each `obtainHere` it is
 * sent and posts the outcome. Errors cross the thread as data (`ObtainOutcome`) and are made typed
 * errors again by `obtain` (certificate-signing.ts).
 */
import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../../api/index.js';
import { CertificateRequestError } from './certificate-client.js';
import { obtainHere } from './certificate-obtain.js';
import type { ObtainOutcome, ObtainRequest } from './certificate-worker-host.js';
import { NodeIdentityError } from './node-identity-options.js';

async function run(req: ObtainRequest): Promise<ObtainOutcome> {
  try {
    return { ok: true, ...(await obtainHere(req)) };
  } catch (err) {
    if (err instanceof CertificateRequestError)
      return { ok: false, kind: 'request', message: err.message, status: err.status };
    if (err instanceof NodeIdentityError) return { ok: false, kind: 'identity', message: err.message, status: 0 };
    return { ok: false, kind: 'other', message: errorMessage(err), status: 0 };
  }
}

parentPort?.on('message', (m: { id: number; req: ObtainRequest }) => {
  void run(m.req).then((outcome) => parentPort?.postMessage({ id: m.id, outcome }));
});
