/**
 * Delivery of a buffered request to its destination: a local container through its runtime's
 * endpoint (in-process handler, or a TCP port via undici), or a peer node's mesh server through a
 * keep-alive undici Pool per peer.
 */
import type { ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { EdgeError, MESH_PORT_HEADER, MESH_TARGET_HEADER, errorMessage } from '../../api/index.js';
import type { Logger, Runtime } from '../../api/index.js';
import type { ServiceEndpoint } from './endpoint-picker.js';
import { headerPairs, pipeUpstream, sendText, withForwardedFor, writeWorkloadResponse, type BufferedRequest } from './http-util.js';

/** Deadline of one request to a workload unless the node is configured otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** Carries the client's own `authorization` across the mesh (the mesh hop uses that header for its token). */
export const FORWARDED_AUTHORIZATION_HEADER = 'x-edgeplane-forwarded-authorization';
/** Set by a mesh server that could not deliver (`not-found`, `not-running`): the sender may try another endpoint. */
export const MESH_ERROR_HEADER = 'x-edgeplane-mesh-error';

/** The connection to an upstream could not be made: nothing was sent, another endpoint may be tried. */
export class UpstreamUnreachableError extends Error {}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);

/** A local container's port. */
export interface LocalContainerTarget {
  runtime: Runtime;
  containerId: string;
  port: number;
}

/** Dependencies of the deliverer. */
export interface DelivererDeps {
  logger: Logger;
  /** Deadline of a request to a workload (default 30 s). */
  requestTimeoutMs?: number;
}

/** Sends requests to local containers and peer nodes. */
export class Deliverer {
  private readonly pools = new Map<string, Pool>();
  private readonly deps: DelivererDeps;

  constructor(deps: DelivererDeps) {
    this.deps = deps;
  }

  /** Delivers to a container on this node and writes its response. */
  async deliverLocal(target: LocalContainerTarget, req: BufferedRequest, res: ServerResponse): Promise<void> {
    const timeoutMs = this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    let endpoint;
    try {
      endpoint = target.runtime.endpoint(target.containerId, target.port);
    } catch (err) {
      sendText(res, 503, `container ${target.containerId} is not reachable on port ${target.port}: ${errorMessage(err)}`);
      return;
    }
    if (endpoint.kind === 'in-process') {
      try {
        const wr = await endpoint.handle({
          method: req.method, path: req.path, authority: req.authority, scheme: 'http', headers: headerPairs(req.headers), body: req.body, timeoutMs,
        });
        writeWorkloadResponse(res, wr);
      } catch (err) {
        this.deps.logger.warn({ container: target.containerId, err: errorMessage(err) }, 'workload request failed');
        // 504 for an overrun deadline, 503 for a workload that is gone; anything else is a bad gateway.
        const status = err instanceof EdgeError && (err.httpStatus === 504 || err.httpStatus === 503) ? err.httpStatus : 502;
        sendText(res, status, `workload failed to answer: ${errorMessage(err)}`);
      }
      return;
    }
    try {
      await this.send(`http://${endpoint.host}:${endpoint.port}`, req, req.headers, res, timeoutMs);
    } catch (err) {
      sendText(res, 502, `container port ${endpoint.host}:${endpoint.port} did not answer: ${errorMessage(err)}`);
    }
  }

  /**
   * Forwards to the peer hosting `endpoint`. Throws UpstreamUnreachableError when the connection
   * cannot be made or the peer's mesh says the pod is not deliverable (the caller may retry elsewhere).
   */
  async forwardRemote(endpoint: ServiceEndpoint, targetPort: number | string, meshToken: string, req: BufferedRequest, res: ServerResponse): Promise<void> {
    const headers: Record<string, string | string[]> = withForwardedFor(req.headers, req.clientIp);
    const clientAuth = headers.authorization;
    delete headers[FORWARDED_AUTHORIZATION_HEADER];
    if (clientAuth !== undefined) headers[FORWARDED_AUTHORIZATION_HEADER] = clientAuth;
    headers.authorization = `Bearer ${meshToken}`;
    headers[MESH_TARGET_HEADER] = `${endpoint.pod.namespace}/${endpoint.pod.name}`;
    headers[MESH_PORT_HEADER] = String(targetPort);
    const origin = `http://${endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address}:${endpoint.meshPort}`;
    // A second more than the remote node's own deadline, so its 504 arrives rather than ours.
    await this.send(origin, req, headers, res, (this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) + 1000, true);
  }

  /** Closes every pool. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }

  private pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, { connections: 32, keepAliveTimeout: 30_000, connectTimeout: 5_000 });
      this.pools.set(origin, p);
    }
    return p;
  }

  private async send(origin: string, req: BufferedRequest, headers: Record<string, string | string[]>, res: ServerResponse, timeoutMs: number, viaMesh = false): Promise<void> {
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort();
    };
    res.once('close', onClose);
    let up;
    try {
      up = await this.pool(origin).request({
        path: req.path,
        method: req.method as 'GET',
        headers,
        body: req.body.length > 0 || !['GET', 'HEAD'].includes(req.method) ? req.body : null,
        signal: abort.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      res.off('close', onClose);
      const code = (err as { code?: string }).code ?? '';
      if (CONNECT_ERRORS.has(code)) throw new UpstreamUnreachableError(`${origin}: ${code}`);
      throw err;
    }
    const meshError = viaMesh ? up.headers[MESH_ERROR_HEADER] : undefined;
    if (meshError !== undefined) {
      up.body.resume();
      res.off('close', onClose);
      throw new UpstreamUnreachableError(`${origin}: ${String(meshError)}`);
    }
    await pipeUpstream(res, up);
    res.off('close', onClose);
  }
}
