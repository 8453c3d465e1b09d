/**
 * Asks the hub for a node certificate (`POST /bootstrap/node-certificate`) over TLS verified against
 * the pinned hub CA: a first join with the bootstrap token, a renewal with the node's current
 * certificate and no token. Answers are read bounded and checked with the shared zod shape.
 */

import { undici } from '../../platform/index.js';
import {
  NODE_CERTIFICATE_PATH,
  NodeCertificateResponse,
  errorMessage,
  type NodeCertificateRequestBody,
} from '../../api/index.js';

/** Largest answer read (a certificate and a CA bundle). */
const MAX_ANSWER_BYTES = 128 * 1024;
const TIMEOUT_MS = 30_000;

/** Why a certificate request failed; `status` is the hub's HTTP status (0: no answer). */
export class CertificateRequestError extends Error {
  override readonly name = 'CertificateRequestError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** How the request authenticates: the bootstrap token, or the current key and certificate. */
export type CertificateRequestAuth = { token: string } | { keyPem: string; certPem: string };

/** Sends a CSR to the hub and returns the signed certificate and the CA that signed it. */
export async function requestNodeCertificate(opts: {
  /** The hub's base URL, or a function giving the current one (several hubs). */
  hubBase: string | (() => string);
  caPem: string;
  auth: CertificateRequestAuth;
  body: NodeCertificateRequestBody;
}): Promise<NodeCertificateResponse> {
  const client = 'token' in opts.auth ? {} : { cert: opts.auth.certPem, key: opts.auth.keyPem };
  const { Agent, request } = undici();
  const dispatcher = new Agent({ connect: { ca: opts.caPem, ...client }, connections: 1 });
  try {
    const base = typeof opts.hubBase === 'string' ? opts.hubBase : opts.hubBase();
    const res = await request(`${base}${NODE_CERTIFICATE_PATH}`, {
      method: 'POST',
      dispatcher,
      headers: {
        'content-type': 'application/json',
        ...('token' in opts.auth ? { authorization: `Bearer ${opts.auth.token}` } : {}),
      },
      body: JSON.stringify(opts.body),
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > MAX_ANSWER_BYTES) {
        res.body.destroy();
        throw new CertificateRequestError('the hub answered more than a certificate', res.statusCode);
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (res.statusCode !== 201 && res.statusCode !== 200) {
      throw new CertificateRequestError(
        `the hub refused the node certificate request (HTTP ${res.statusCode}): ${statusMessage(text)}`,
        res.statusCode,
      );
    }
    const parsed = NodeCertificateResponse.safeParse(JSON.parse(text));
    if (!parsed.success) throw new CertificateRequestError('the hub answered something else than a certificate', 0);
    return parsed.data;
  } catch (err) {
    if (err instanceof CertificateRequestError) throw err;
    throw new CertificateRequestError(`cannot reach the hub for a node certificate: ${errorMessage(err)}`, 0);
  } finally {
    void dispatcher.close();
  }
}

/** The `message` of a Kubernetes Status answer (bounded), or the start of the text. */
function statusMessage(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 300) || 'no message';
}
