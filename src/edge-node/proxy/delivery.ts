/**
 * Delivery of a request to its destination: a local container through its runtime's
 * endpoint (in-process handler, or a TCP port), a peer node's mesh server through a keep-alive
 * undici Pool per origin, or (for pods allowed to) a host outside the cluster. Responses go to a
 * `ResponseSink` as they come (undici's `dispatch` handler API: no intermediate stream objects per
 * request); each delivery resolves with the status the sink got. Request bodies stream to TCP
 * upstreams; an in-process workload gets its body whole, held within the node's `BodyBuffers`.
 */
import { Agent, Pool, type Dispatcher } from 'undici';
import { EdgeError, MESH_PORT_HEADER, MESH_TARGET_HEADER, errorMessage } from '../../api/index.js';
import type { Logger, Runtime } from '../../api/index.js';
import type { ServiceEndpoint } from './endpoint-picker.js';
import { headerPairs, headerValue, upstreamHeaders, withoutHeaders, type ProxiedRequest } from './http-util.js';
import { clientBodyError, type BodyBuffers } from './request-body.js';
import type { ResponseSink } from './response-sink.js';

const EMPTY = Buffer.alloc(0);

/** Deadline of one request to a workload unless the node is configured otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** Carries the client's own `authorization` across the mesh (the mesh hop uses that header for its token). */
export const FORWARDED_AUTHORIZATION_HEADER = 'x-edgeplane-forwarded-authorization';
/** Set by a mesh server that could not deliver (`not-found`, `not-running`): the sender may try another endpoint. */
export const MESH_ERROR_HEADER = 'x-edgeplane-mesh-error';
/** What is left of the caller's deadline (ms): the receiving node uses it when shorter than its own. */
export const MESH_TIMEOUT_HEADER = 'x-edgeplane-timeout-ms';

/**
 * The upstream could not be reached (nothing was processed there): another endpoint may be tried.
 * `nodeUnreachable`: the peer node itself (connection refused or broken), not just that pod;
 * `code`: the socket error code when there was one (`ECONNREFUSED`, `ENOTFOUND`, …).
 */
export class UpstreamUnreachableError extends Error {
  constructor(
    message: string,
    readonly nodeUnreachable = false,
    readonly code?: string,
  ) {
    super(message);
  }
}

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'EADDRNOTAVAIL',
]);
/**
 * A kept-alive connection that broke before any of the response came (the peer died or restarted):
 * for an idempotent method, as good as a connect failure — the request may be sent elsewhere.
 */
const RESET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const MESH_HOP_HEADERS = new Set([
  'authorization',
  FORWARDED_AUTHORIZATION_HEADER,
  MESH_TARGET_HEADER,
  MESH_PORT_HEADER,
  MESH_TIMEOUT_HEADER,
]);

/** True for methods that may be sent twice (RFC 9110 §9.2.2). */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/** A local container's port (only the runtime's `endpoint` is needed to reach it). */
export interface LocalContainerTarget {
  runtime: Pick<Runtime, 'endpoint'>;
  containerId: string;
  port: number;
}

/** Dependencies of the deliverer. */
export interface DelivererDeps {
  logger: Logger;
  /** Deadline of a request to a workload (default 15 s). */
  requestTimeoutMs?: number;
  /** The node's budget for bodies held whole (in-process workloads); unbounded when absent. */
  bodyBuffers?: BodyBuffers;
}

/** Sends requests to local containers, peer nodes and allowed external hosts. */
export class Deliverer {
  private readonly pools = new Map<string, Pool>();
  /** External origins are chosen by workloads: an Agent, whose per-origin pools are not kept forever. */
  private external: Agent | undefined;
  private readonly deps: DelivererDeps;

  constructor(deps: DelivererDeps) {
    this.deps = deps;
  }

  /** The default deadline of one request to a workload. */
  get requestTimeoutMs(): number {
    return this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /**
   * Delivers to a container on this node. Throws UpstreamUnreachableError when the container cannot
   * take the request (nothing was processed); any other failure is answered (502/503/504), except
   * the client's body being refused or cut short (request-body.ts errors), which the caller answers.
   */
  async deliverLocal(
    target: LocalContainerTarget,
    req: ProxiedRequest,
    sink: ResponseSink,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<number> {
    let endpoint;
    try {
      endpoint = target.runtime.endpoint(target.containerId, target.port);
    } catch (err) {
      throw new UpstreamUnreachableError(
        `container ${target.containerId} is not reachable on port ${target.port}: ${errorMessage(err)}`,
      );
    }
    if (endpoint.kind === 'in-process') {
      // The executor protocol carries a whole body: read it (bounded) before the workload is called.
      const body = await req.body.bytes(this.deps.bodyBuffers);
      try {
        const wr = await endpoint.handle({
          method: req.method,
          path: req.path,
          authority: req.authority,
          scheme: 'http',
          headers: headerPairs(req.headers),
          body,
          timeoutMs,
        });
        sink.whole(wr);
        return wr.status;
      } catch (err) {
        this.deps.logger.warn({ container: target.containerId, err: errorMessage(err) }, 'workload request failed');
        // 504 for an overrun deadline, 503 for a workload that is gone; anything else is a bad gateway.
        const status =
          err instanceof EdgeError && (err.httpStatus === 504 || err.httpStatus === 503) ? err.httpStatus : 502;
        sink.text(status, `workload failed to answer: ${errorMessage(err)}`);
        return status;
      }
    }
    try {
      const origin = `http://${endpoint.host}:${endpoint.port}`;
      return await this.send(this.pool(origin), origin, req, req.headers, sink, timeoutMs);
    } catch (err) {
      if (err instanceof UpstreamUnreachableError || clientBodyError(err, req.body)) throw err;
      sink.text(502, `container port ${endpoint.host}:${endpoint.port} did not answer: ${errorMessage(err)}`);
      return 502;
    }
  }

  /**
   * Forwards to the peer hosting `endpoint`. Throws UpstreamUnreachableError when the connection
   * cannot be made or the peer's mesh says the pod is not deliverable (the caller may retry elsewhere).
   */
  async forwardRemote(
    endpoint: ServiceEndpoint,
    targetPort: number | string,
    meshToken: string,
    req: ProxiedRequest,
    sink: ResponseSink,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<number> {
    const clientAuth = headerValue(req.headers, 'authorization');
    const headers = withoutHeaders(req.headers, MESH_HOP_HEADERS);
    if (clientAuth !== undefined) headers.push(FORWARDED_AUTHORIZATION_HEADER, clientAuth);
    headers.push(
      'authorization',
      `Bearer ${meshToken}`,
      MESH_TARGET_HEADER,
      `${endpoint.pod.namespace}/${endpoint.pod.name}`,
      MESH_PORT_HEADER,
      String(targetPort),
      MESH_TIMEOUT_HEADER,
      String(Math.max(1, Math.ceil(timeoutMs))),
    );
    const origin = `http://${endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address}:${endpoint.meshPort}`;
    // A second more than the remote node's own deadline, so its 504 arrives rather than ours.
    return this.send(this.pool(origin), origin, req, headers, sink, timeoutMs + 1000, true);
  }

  /**
   * Sends to a host outside the cluster (`origin` is `scheme://host:port`). Throws
   * UpstreamUnreachableError (with the socket error `code`) when no connection could be made.
   */
  async fetchExternal(
    origin: string,
    req: ProxiedRequest,
    sink: ResponseSink,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<number> {
    this.external ??= new Agent({ connections: 16, keepAliveTimeout: 10_000, connectTimeout: 5_000 });
    return this.send(this.external, origin, req, req.headers, sink, timeoutMs);
  }

  /** Closes every pool. */
  async close(): Promise<void> {
    const dispatchers: Dispatcher[] = [...this.pools.values()];
    if (this.external) dispatchers.push(this.external);
    this.pools.clear();
    this.external = undefined;
    await Promise.all(dispatchers.map((p) => p.destroy().catch(() => undefined)));
  }

  private pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, { connections: 32, keepAliveTimeout: 30_000, connectTimeout: 5_000 });
      this.pools.set(origin, p);
    }
    return p;
  }

  private send(
    dispatcher: Dispatcher,
    origin: string,
    req: ProxiedRequest,
    headers: string[],
    sink: ResponseSink,
    timeoutMs: number,
    viaMesh = false,
  ): Promise<number> {
    const upstreamBody = req.body.forUpstream();
    const declared = req.body.declaredLength;
    // A streamed body keeps the client's length when it gave one (else it goes chunked).
    const sentHeaders =
      upstreamBody !== null && !Buffer.isBuffer(upstreamBody) && declared !== undefined
        ? [...headers, 'content-length', String(declared)]
        : headers;
    return new Promise<number>((resolve, reject) => {
      const handler = new SinkHandler(sink, origin, viaMesh, IDEMPOTENT.has(req.method), resolve, reject);
      dispatcher.dispatch(
        {
          origin,
          path: req.path,
          method: req.method as Dispatcher.HttpMethod,
          headers: sentHeaders,
          body: upstreamBody ?? (['GET', 'HEAD'].includes(req.method) ? null : EMPTY),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        },
        handler,
      );
    });
  }
}

/**
 * Writes one upstream response into a sink. Settles once: resolves with the status when the
 * response is written (or broke after it started: nothing left to answer; resolves 502 then, for
 * the balancer's books), rejects before anything was written (connect failure:
 * UpstreamUnreachableError; a mesh error header: likewise, so the caller can retry).
 */
class SinkHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #meshError: string | undefined;
  #status = 0;
  #settled = false;
  readonly #offGone: () => void;

  constructor(
    private readonly sink: ResponseSink,
    private readonly origin: string,
    private readonly viaMesh: boolean,
    private readonly idempotent: boolean,
    private readonly resolve: (status: number) => void,
    private readonly reject: (err: Error) => void,
  ) {
    this.#offGone = sink.onGone(() => this.#controller?.abort(new Error('client went away')));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.sink.gone) controller.abort(new Error('client went away'));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // informational: not forwarded
    const meshError = this.viaMesh ? headers[MESH_ERROR_HEADER] : undefined;
    if (meshError !== undefined) {
      this.#meshError = String(meshError);
      return;
    }
    this.#status = statusCode;
    this.sink.start(statusCode, upstreamHeaders(headers));
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#meshError !== undefined || this.sink.gone) return;
    if (!this.sink.write(chunk)) {
      controller.pause();
      this.sink.onDrain(() => controller.resume());
    }
  }

  onResponseEnd(): void {
    if (this.#meshError !== undefined)
      return this.#fail(new UpstreamUnreachableError(`${this.origin}: ${this.#meshError}`));
    this.sink.end();
    this.#done(this.#status);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#status !== 0) {
      // The upstream broke mid-body (or the client left): nothing left to answer.
      this.sink.abort();
      return this.#done(502);
    }
    const code = (err as { code?: string }).code ?? '';
    const retriable = CONNECT_ERRORS.has(code) || (this.idempotent && RESET_ERRORS.has(code));
    this.#fail(retriable ? new UpstreamUnreachableError(`${this.origin}: ${code}`, true, code) : err);
  }

  #done(status: number): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#offGone();
    this.resolve(status);
  }

  #fail(err: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#offGone();
    this.reject(err);
  }
}
