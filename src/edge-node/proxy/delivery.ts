/**
 * Delivery of a buffered request to its destination: a local container through its runtime's
 * endpoint (in-process handler, or a TCP port), or a peer node's mesh server, through a keep-alive
 * undici Pool per origin. Upstream responses are streamed to the client as they come (undici's
 * `dispatch` handler API: no intermediate stream objects per request).
 */
import type { ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { EdgeError, MESH_PORT_HEADER, MESH_TARGET_HEADER, errorMessage } from '../../api/index.js';
import type { Logger, Runtime } from '../../api/index.js';
import type { ServiceEndpoint } from './endpoint-picker.js';
import { headerPairs, headerValue, sendText, upstreamHeaders, withForwardedFor, withoutHeaders, writeWorkloadResponse, type BufferedRequest } from './http-util.js';

/** Deadline of one request to a workload unless the node is configured otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** Carries the client's own `authorization` across the mesh (the mesh hop uses that header for its token). */
export const FORWARDED_AUTHORIZATION_HEADER = 'x-edgeplane-forwarded-authorization';
/** Set by a mesh server that could not deliver (`not-found`, `not-running`): the sender may try another endpoint. */
export const MESH_ERROR_HEADER = 'x-edgeplane-mesh-error';

/**
 * The upstream could not be reached (nothing was processed there): another endpoint may be tried.
 * `nodeUnreachable`: the peer node itself (connection refused or broken), not just that pod.
 */
export class UpstreamUnreachableError extends Error {
  constructor(message: string, readonly nodeUnreachable = false) {
    super(message);
  }
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);
/**
 * A kept-alive connection that broke before any of the response came (the peer died or restarted):
 * for an idempotent method, as good as a connect failure — the request may be sent elsewhere.
 */
const RESET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const MESH_HOP_HEADERS = new Set(['authorization', FORWARDED_AUTHORIZATION_HEADER, MESH_TARGET_HEADER, MESH_PORT_HEADER]);

/** A local container's port. */
export interface LocalContainerTarget {
  runtime: Runtime;
  containerId: string;
  port: number;
}

/** Dependencies of the deliverer. */
export interface DelivererDeps {
  logger: Logger;
  /** Deadline of a request to a workload (default 15 s). */
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
    const clientAuth = headerValue(req.headers, 'authorization');
    const headers = withoutHeaders(withForwardedFor(req.headers, req.clientIp), MESH_HOP_HEADERS);
    if (clientAuth !== undefined) headers.push(FORWARDED_AUTHORIZATION_HEADER, clientAuth);
    headers.push('authorization', `Bearer ${meshToken}`, MESH_TARGET_HEADER, `${endpoint.pod.namespace}/${endpoint.pod.name}`, MESH_PORT_HEADER, String(targetPort));
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

  private send(origin: string, req: BufferedRequest, headers: string[], res: ServerResponse, timeoutMs: number, viaMesh = false): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const handler = new StreamingHandler(res, origin, viaMesh, IDEMPOTENT.has(req.method), resolve, reject);
      this.pool(origin).dispatch(
        {
          path: req.path,
          method: req.method as Dispatcher.HttpMethod,
          headers,
          body: req.body.length > 0 || !['GET', 'HEAD'].includes(req.method) ? req.body : null,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        handler,
      );
    });
  }
}

/**
 * Streams one upstream response into `res`. Settles once: resolves when the response is written (or
 * broke after it started: nothing left to answer), rejects before anything was written (connect
 * failure: UpstreamUnreachableError; a mesh error header: likewise, so the caller can retry).
 */
class StreamingHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #meshError: string | undefined;
  #started = false;
  #settled = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly origin: string,
    private readonly viaMesh: boolean,
    private readonly idempotent: boolean,
    private readonly resolve: () => void,
    private readonly reject: (err: Error) => void,
  ) {
    res.once('close', this.#onClientClose);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.res.destroyed) controller.abort(new Error('client went away'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // informational: not forwarded
    const meshError = this.viaMesh ? headers[MESH_ERROR_HEADER] : undefined;
    if (meshError !== undefined) {
      this.#meshError = String(meshError);
      return;
    }
    this.#started = true;
    if (!this.res.destroyed) this.res.writeHead(statusCode, upstreamHeaders(headers));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#meshError !== undefined || this.res.destroyed) return;
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.#meshError !== undefined) return this.#fail(new UpstreamUnreachableError(`${this.origin}: ${this.#meshError}`));
    this.res.end();
    this.#done();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#started) {
      // The upstream broke mid-body (or the client left): nothing left to answer.
      this.res.destroy();
      return this.#done();
    }
    const code = (err as { code?: string }).code ?? '';
    const retriable = CONNECT_ERRORS.has(code) || (this.idempotent && RESET_ERRORS.has(code));
    this.#fail(retriable ? new UpstreamUnreachableError(`${this.origin}: ${code}`, true) : err);
  }

  readonly #onClientClose = (): void => {
    if (!this.res.writableFinished) this.#controller?.abort(new Error('client went away'));
  };

  #done(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.res.off('close', this.#onClientClose);
    this.resolve();
  }

  #fail(err: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.res.off('close', this.#onClientClose);
    this.reject(err);
  }
}
