/**
 * Requests containers make to the node's listeners. A Service port's listener sends every request to
 * that Service port; the HTTP proxy resolves each request's host as a Wasm pod's outgoing call is
 * resolved (`resolveOutgoing`): a Service name goes to that Service, another host only when the
 * calling pod allows it. Service traffic is balanced by the node's `ServiceBalancer` over every ready
 * endpoint — Wasm or container, on this node or over the mesh — and streamed back.
 *
 * The caller is the pod whose IP the connection comes from (pods on a bridge have their own). A
 * connection from anywhere else — a host-network pod, any process on the node — cannot be told apart
 * and reaches Services only, never external hosts. A container may call out before its runtime has
 * reported its address (an Engine API container's IP is known once its start's inspect returns), so a
 * source that is not a local address is looked up again for a moment before it counts as unknown.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { OutgoingHttpError, errorMessage } from '../../../api/index.js';
import type { Logger } from '../../../api/index.js';
import { resolveOutgoing, type CallerIdentity } from './outgoing-target.js';
import { answerFailure, answerUndelivered } from '../balancing/balance-answer.js';
import type { Deliverer } from '../delivery/deliverer.js';
import { UpstreamUnreachableError } from '../delivery/upstream-error.js';
import type { PickOrigin } from '../balancing/endpoint-picker.js';
import { headerValue, proxiedRequest, sendText, type ProxiedRequest } from '../http/http-util.js';
import { DEFAULT_MAX_REQUEST_BODY_BYTES, type ListenerLimits } from '../http/listener-limits.js';
import { clientBodyError, type BodyBuffers } from '../http/body-limits.js';
import { ServerResponseSink } from '../http/response-sink.js';
import type { ServiceBalancer } from '../balancing/service-balancer.js';
import type { ServicePortRoute, ServiceTable } from '../balancing/service-table.js';
import type { PodCaller } from '../local-pods.js';
import { isRefusal, proxyTarget, type ProxyTarget } from './proxy-target.js';

/** Dependencies of the handler. */
export interface PodTrafficDeps {
  table: ServiceTable;
  balancer: ServiceBalancer;
  deliverer: Deliverer;
  /** This node and its zone (locality preference, as for Wasm pods' calls). */
  origin(): PickOrigin;
  /** The pod of this node whose connections come from `ip`. */
  callerAt(ip: string): PodCaller | undefined;
  /** The Service port behind the node's own listener at `host:port`, for a proxied request addressed to one. */
  ownListener(host: string, port: number): ServicePortRoute | undefined;
  logger: Logger;
  /** Limits of the listeners (defaults: `DEFAULT_LISTENER_LIMITS`). */
  limits?: Partial<ListenerLimits>;
  /** The node's budget for bodies held whole. */
  bodyBuffers?: BodyBuffers;
  /** How long a non-local source is looked up again before it counts as unknown (default 2 s). */
  identifyWithinMs?: number;
}

/**
 * Sources that are the machine itself (host-network pods, processes; loopback or one of its interface
 * addresses, such as a bridge's gateway): never a pod with an address of its own.
 */
function isHostSource(ip: string): boolean {
  const bare = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (bare.startsWith('127.') || bare === '::1') return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === bare));
}

/** Serves the node's listeners for pods. */
export class PodTraffic {
  constructor(private readonly deps: PodTrafficDeps) {}

  /** A request at a Service port's listener; `route` undefined: that Service is gone. */
  async serveService(req: IncomingMessage, res: ServerResponse, route: ServicePortRoute | undefined): Promise<void> {
    if (!route) return sendText(res, 503, `no Service listens on port ${req.socket.localPort} any more`);
    const body = this.read(req, res);
    const target = proxyTarget(req.method ?? 'GET', body.path, body.authority || 'service');
    if (isRefusal(target)) return sendText(res, target.status, target.message);
    await this.serve(res, body, () => this.toService(route, { ...body, path: target.path }, res));
  }

  /** A request at the HTTP proxy. */
  async serveProxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = proxyTarget(req.method ?? 'GET', req.url ?? '/', req.headers.host);
    if (isRefusal(target)) return sendText(res, target.status, target.message);
    const body = this.read(req, res);
    await this.serve(res, body, () =>
      this.proxy({ ...body, path: target.path, authority: target.authority }, target, res),
    );
  }

  private async proxy(request: ProxiedRequest, target: ProxyTarget, res: ServerResponse): Promise<void> {
    if (headerValue(request.headers, 'host') === undefined) request.headers.push('host', target.authority);
    const own = this.ownListener(target.authority);
    if (own) return this.toService(own, request, res);
    const ip = request.clientIp;
    const pod = await this.identify(ip);
    const caller: CallerIdentity = pod
      ? { namespace: pod.namespace, pod }
      : { namespace: 'default', source: `a connection from ${ip}` };
    let resolved;
    try {
      resolved = resolveOutgoing(this.deps.table, caller, target.scheme, target.authority);
    } catch (err) {
      if (!(err instanceof OutgoingHttpError)) throw err;
      return sendText(res, err.httpStatus, err.message);
    }
    if (resolved.kind === 'service') return this.toService(resolved.route, request, res, pod);
    await this.toExternal(resolved.origin, request, res);
  }

  /** The pod at `ip`, waiting a little for one that has just started (see the file comment). */
  private async identify(ip: string): Promise<PodCaller | undefined> {
    let pod = this.deps.callerAt(ip);
    if (pod || isHostSource(ip)) return pod;
    const until = Date.now() + (this.deps.identifyWithinMs ?? 2000);
    while (!pod && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      pod = this.deps.callerAt(ip);
    }
    return pod;
  }

  private async toService(
    route: ServicePortRoute,
    req: ProxiedRequest,
    res: ServerResponse,
    pod = this.deps.callerAt(req.clientIp),
  ): Promise<void> {
    const affinity = route.service.sessionAffinity === 'ClientIP' ? { affinityKey: pod?.uid ?? req.clientIp } : {};
    const result = await this.deps.balancer.deliver(route, req, new ServerResponseSink(res), {
      ctx: { origin: this.deps.origin(), ...affinity },
    });
    answerUndelivered(res, `${route.service.namespace}/${route.service.name}`, result);
  }

  private async toExternal(origin: string, req: ProxiedRequest, res: ServerResponse): Promise<void> {
    try {
      await this.deps.deliverer.fetchExternal(origin, req, new ServerResponseSink(res));
    } catch (err) {
      const bodyErr = clientBodyError(err, req.body);
      if (bodyErr) return answerFailure(res, bodyErr, '');
      if (err instanceof UpstreamUnreachableError)
        return sendText(res, 502, `${origin}: cannot connect (${err.code ?? err.message})`);
      this.deps.logger.debug({ origin, err: errorMessage(err) }, 'proxied call failed');
      sendText(res, 502, `${origin}: ${errorMessage(err)}`);
    }
  }

  /** A request addressed to one of the node's own Service listeners (a client that proxies everything). */
  private ownListener(authority: string): ServicePortRoute | undefined {
    const m = /^\[?([^\]]*?)\]?:([0-9]{1,5})$/.exec(authority);
    return m ? this.deps.ownListener(m[1]!, Number(m[2])) : undefined;
  }

  /** The request's head, its body left to stream. */
  private read(req: IncomingMessage, res: ServerResponse): ProxiedRequest {
    req.on('error', () => undefined); // a client abort must not surface as an unhandled error
    res.on('error', () => undefined);
    const request = proxiedRequest(req, this.deps.limits?.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES);
    return { ...request, clientIp: unmapped(request.clientIp) };
  }

  /** Runs `deliver` with the body's small-body prefetch first, answering body failures, releasing what it held. */
  private async serve(res: ServerResponse, req: ProxiedRequest, deliver: () => Promise<void>): Promise<void> {
    try {
      await req.body.prefetch(this.deps.bodyBuffers);
      await deliver();
    } catch (err) {
      const bodyErr = clientBodyError(err, req.body);
      if (!bodyErr) throw err;
      answerFailure(res, bodyErr, '');
    } finally {
      req.body.release();
    }
  }
}

/** `::ffff:10.0.0.2` (an IPv4 client of a dual-stack socket) as `10.0.0.2`. */
function unmapped(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
