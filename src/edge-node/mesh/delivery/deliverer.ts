/**
 * Delivery of a request to its destination: a local container through its runtime's
 * endpoint (in-process handler, or a TCP port), a peer node's mesh server through a keep-alive
 * undici Pool per peer (`PeerPools`: mTLS with the node's certificate, or the insecure token mode), or (for pods allowed to) a host outside the cluster. Responses go to a
 * `ResponseSink` as they come (undici's `dispatch` handler API: no intermediate stream objects per
 * request); each delivery resolves with the status the sink got. Request bodies stream to TCP
 * upstreams; an in-process workload gets its body whole, held within the node's `BodyBuffers`.
 */
import type { Agent, Dispatcher, Pool } from 'undici';
import { undici } from '../../../platform/index.js';
import { EdgeError, errorMessage } from '../../../api/index.js';
import type { Logger, Runtime } from '../../../api/index.js';
import type { ServiceEndpoint } from '../balancing/endpoint-picker.js';
import { headerPairs, type ProxiedRequest } from '../http/http-util.js';
import { clientBodyError, type BodyBuffers } from '../http/body-limits.js';
import type { ResponseSink } from '../http/response-sink.js';
import { MESH_HOP_GRACE_MS, toMeshHop } from '../protocol.js';
import type { MeshTlsMaterial, MeshTransport } from '../trust/tls-material.js';
import type { RequestAccounting } from '../accounting/request-accounting.js';
import { PeerPools } from './peer-pools.js';
import type { PeerDialer } from '../relay/peer-dialer.js';
import { SinkHandler } from './sink-handler.js';
import { UpstreamUnreachableError, isIdempotent } from './upstream-error.js';
import {
  ContainerDeadlineError,
  containerDeadline,
  isDeadlineError,
  type ContainerDeadline,
} from './container-deadline.js';

const EMPTY = Buffer.alloc(0);

/** Deadline of one request to a workload unless the node is configured otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/** A local container's port (only the runtime's `endpoint` is needed to reach it). */
export interface LocalContainerTarget {
  runtime: Pick<Runtime, 'endpoint'>;
  containerId: string;
  port: number;
  /** The pod's own request deadline (`edgeplane.io/request-timeout`), in ms; absent: the node's. */
  podTimeoutMs?: number;
}

/** Dependencies of the deliverer. */
export interface DelivererDeps {
  logger: Logger;
  /** Deadline of a request to a workload (default 15 s). */
  requestTimeoutMs?: number;
  /** The node's budget for bodies held whole (in-process workloads); unbounded when absent. */
  bodyBuffers?: BodyBuffers;
  /** How hops to peers are secured (mTLS needs `setTlsMaterial` before the first hop). */
  transport: MeshTransport;
  /** The cluster's mesh token (insecure-token mode only). */
  meshToken?(): string | undefined;
  /** Counts what is delivered to local pods (`deliverLocal` with the pod named). */
  accounting?: RequestAccounting;
  /** How connections to peers are made (default: directly; the hub relay for NAT'd peers). */
  peerDialer?: PeerDialer;
}

/** The local pod a delivery is for (its requests are counted). */
export interface LocalPodName {
  namespace: string;
  name: string;
}

/** Sends requests to local containers, peer nodes and allowed external hosts. */
export class Deliverer {
  private readonly pools = new Map<string, Pool>();
  private readonly peers: PeerPools;
  /** External origins are chosen by workloads: an Agent, whose per-origin pools are not kept forever. */
  private external: Agent | undefined;
  private readonly deps: DelivererDeps;

  constructor(deps: DelivererDeps) {
    this.deps = deps;
    this.peers = new PeerPools({
      transport: deps.transport,
      meshToken: () => deps.meshToken?.(),
      ...(deps.peerDialer ? { dialer: deps.peerDialer } : {}),
    });
  }

  /**
   * The node's certificate, key and cluster CA for hops to peers (mTLS mode): new connections use
   * them, requests in flight finish on the connections they have.
   */
  setTlsMaterial(material: MeshTlsMaterial): void {
    this.peers.setTlsMaterial(material);
  }

  /** Peer pools of replaced TLS material still finishing their requests (tests, diagnostics). */
  get drainingPeerPools(): number {
    return this.peers.drainingPools;
  }

  /** The default deadline of one request to a workload. */
  get requestTimeoutMs(): number {
    return this.deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /**
   * Delivers to a container on this node. Throws UpstreamUnreachableError when the container cannot
   * take the request (nothing was processed); any other failure is answered (502/503/504), except
   * the client's body being refused or cut short (request-body.ts errors), which the caller answers.
   * With `pod` named, the request is counted as that pod's (status, latency; a failure that is
   * thrown after the container took the request counts as one without an answer).
   * `timeoutMs` is the caller's budget. A Wasm container bounds it by its pod's own deadline
   * (`edgeplane.io/request-timeout`), else the node's; a container port likewise, by
   * `target.podTimeoutMs`: past it the node answers 504 naming the limit and closes the upstream
   * request (container-deadline.ts).
   */
  async deliverLocal(
    target: LocalContainerTarget,
    req: ProxiedRequest,
    sink: ResponseSink,
    timeoutMs?: number,
    pod?: LocalPodName,
  ): Promise<number> {
    const accounting = pod && this.deps.accounting;
    if (!accounting) return this.toContainer(target, req, sink, timeoutMs);
    const started = performance.now();
    try {
      const status = await this.toContainer(target, req, sink, timeoutMs);
      accounting.podRequest(pod.namespace, pod.name, status, performance.now() - started);
      return status;
    } catch (err) {
      // Not delivered (the container could not take it, or the client's body was wrong): not the pod's.
      if (!(err instanceof UpstreamUnreachableError) && !clientBodyError(err, req.body))
        accounting.podRequest(pod.namespace, pod.name, 0, performance.now() - started);
      throw err;
    }
  }

  private async toContainer(
    target: LocalContainerTarget,
    req: ProxiedRequest,
    sink: ResponseSink,
    timeoutMs: number | undefined,
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
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
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
    const limit = containerDeadline(timeoutMs, target.podTimeoutMs, this.requestTimeoutMs);
    const address = `${endpoint.host}:${endpoint.port}`;
    try {
      const origin = `http://${address}`;
      return await this.send(this.pool(origin), origin, req, req.headers, sink, limit.ms, false, limit);
    } catch (err) {
      if (err instanceof UpstreamUnreachableError || clientBodyError(err, req.body)) throw err;
      if (isDeadlineError(err)) {
        // undici destroyed the connection at the deadline: the container's request is closed too.
        this.deps.logger.warn({ container: target.containerId, limitMs: limit.ms }, 'container request timed out');
        sink.text(504, `container port ${address} did not answer within ${limit.ms} ms (${limit.source})`);
        return 504;
      }
      sink.text(502, `container port ${address} did not answer: ${errorMessage(err)}`);
      return 502;
    }
  }

  /**
   * Forwards to the peer hosting `endpoint`. Throws UpstreamUnreachableError when the connection
   * cannot be made (refused, or the peer is not the node the endpoint names, or this node has no
   * credential yet) or the peer's mesh says the pod is not deliverable (the caller may retry elsewhere).
   */
  async forwardRemote(
    endpoint: ServiceEndpoint,
    targetPort: number | string,
    req: ProxiedRequest,
    sink: ResponseSink,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<number> {
    const { pool, origin, token } = this.peers.route(endpoint);
    const headers = toMeshHop(req.headers, {
      token,
      namespace: endpoint.pod.namespace,
      name: endpoint.pod.name,
      targetPort,
      timeoutMs,
    });
    return this.send(pool, origin, req, headers, sink, timeoutMs + MESH_HOP_GRACE_MS, true);
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
    this.external ??= new (undici().Agent)({ connections: 16, keepAliveTimeout: 10_000, connectTimeout: 5_000 });
    return this.send(this.external, origin, req, req.headers, sink, timeoutMs);
  }

  /** Closes every pool (containers', peers', external hosts'). */
  async close(): Promise<void> {
    const dispatchers: Dispatcher[] = [...this.pools.values()];
    if (this.external) dispatchers.push(this.external);
    this.pools.clear();
    this.external = undefined;
    await Promise.all([...dispatchers.map((p) => p.destroy().catch(() => undefined)), this.peers.close()]);
  }

  private pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new (undici().Pool)(origin, { connections: 32, keepAliveTimeout: 30_000, connectTimeout: 5_000 });
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
    deadline?: ContainerDeadline,
  ): Promise<number> {
    const upstreamBody = req.body.forUpstream();
    const declared = req.body.declaredLength;
    // A streamed body keeps the client's length when it gave one (else it goes chunked).
    const sentHeaders =
      upstreamBody !== null && !Buffer.isBuffer(upstreamBody) && declared !== undefined
        ? [...headers, 'content-length', String(declared)]
        : headers;
    return new Promise<number>((resolve, reject) => {
      const handler = new SinkHandler(sink, origin, viaMesh, isIdempotent(req.method), resolve, reject);
      if (deadline) handler.abortAfter(deadline.ms, new ContainerDeadlineError(deadline));
      dispatcher.dispatch(
        {
          origin,
          path: req.path,
          method: req.method,
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
