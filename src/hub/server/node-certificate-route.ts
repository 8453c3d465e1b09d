/**
 * `POST /bootstrap/node-certificate`: a node's certificate from its CSR. Mounted before the API's
 * authentication because it authenticates in its own way: a renewal by the node's current certificate
 * (verified and bound, no token), a first join by a bootstrap token. Nothing else reaches the signer.
 */
import type { Hono } from 'hono';
import {
  BadRequestError,
  MAX_NODE_CERTIFICATE_REQUEST_BYTES,
  NODE_CERTIFICATE_PATH,
  NodeCertificateRequestBody,
  UnauthorizedError,
  type NodeCertificateResponse,
} from '../../api/index.js';
import type { TokenAuth } from '../auth/index.js';
import { mayBootstrap, type NodeCertificateRequester } from '../identity/index.js';
import { readJson } from './body.js';
import { peerSocket } from './peer-socket.js';
import type { ApiEnv, NodeCertificateDeps } from './types.js';

/** Mounts the node certificate endpoint on `app`. */
export function mountNodeCertificateRoute(
  app: Hono<ApiEnv>,
  auth: Pick<TokenAuth, 'verify'>,
  deps: NodeCertificateDeps,
): void {
  app.post(NODE_CERTIFICATE_PATH, async (c) => {
    let requester: NodeCertificateRequester | undefined;
    const byCert = await deps.certificates.authenticate(peerSocket(c));
    if (byCert.kind === 'revoked') throw new UnauthorizedError();
    if (byCert.kind === 'authenticated' && byCert.principal.kind === 'node' && byCert.principal.name !== undefined) {
      requester = { kind: 'node', name: byCert.principal.name, keyHash: byCert.keyHash };
    } else {
      const token = /^bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
      const principal = token === undefined ? undefined : auth.verify(token);
      if (principal !== undefined && mayBootstrap(principal)) requester = { kind: 'bootstrap' };
    }
    if (requester === undefined) throw new UnauthorizedError();
    const parsed = NodeCertificateRequestBody.safeParse(await readJson(c, MAX_NODE_CERTIFICATE_REQUEST_BYTES));
    if (!parsed.success) {
      throw new BadRequestError(
        `node certificate request: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`,
      );
    }
    const signed = await deps.signer.sign({
      csrPem: parsed.data.csr,
      requester,
      ...(parsed.data.address !== undefined ? { address: parsed.data.address } : {}),
    });
    const body: NodeCertificateResponse = { certificate: signed.certificatePem, caCertificate: signed.caPem };
    return c.json(body, 201);
  });
}
