/**
 * The node's `OutgoingHttpHandler`: a pod's outgoing HTTP call (a Wasm guest's
 * `wasi:http/outgoing-handler`) goes to a Service when its host names one (`service-host.ts`) — any
 * Service type, ClusterIP included — balanced with locality preference and delivered locally or
 * over the mesh, with the whole response buffered. Any other destination is fetched directly only
 * when the caller pod's `edgeplane.io/allowed-outgoing-hosts` annotation allows it
 * (`egress-policy.ts`); otherwise the call is refused with `denied`. The caller's deadline
 * (`req.timeoutMs`) bounds the whole exchange, retries included.
 */
import { OutgoingHttpError, errorMessage } from '../../api/index.js';
import type { Logger, OutgoingCaller, OutgoingFailure, OutgoingHttpHandler, WorkloadRequest, WorkloadResponse } from '../../api/index.js';
import { UpstreamUnreachableError, type Deliverer } from '../proxy/delivery.js';
import type { PickOrigin } from '../proxy/endpoint-picker.js';
import { forwardableHeaders, type BufferedRequest } from '../proxy/http-util.js';
import { BufferingSink } from '../proxy/response-sink.js';
import type { BalanceResult, ServiceBalancer } from '../proxy/service-balancer.js';
import type { ServicePortRoute, ServiceTable } from '../proxy/service-table.js';
import { ALLOWED_OUTGOING_HOSTS_ANNOTATION, egressAllowed, parseEgressPolicy } from './egress-policy.js';
import { parseAuthority, serviceNameOf, type Authority } from './service-host.js';

/** Largest response body a pod's call buffers unless configured otherwise. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Dependencies of the service client. */
export interface ServiceClientDeps {
  table: ServiceTable;
  balancer: ServiceBalancer;
  deliverer: Deliverer;
  /** Where calls come from: this node and its zone (locality preference). */
  origin(): PickOrigin;
  /** The caller pod's annotations; undefined when the pod is not (or no longer) on this node. */
  annotations(caller: OutgoingCaller): Readonly<Record<string, string>> | undefined;
  logger: Logger;
  maxResponseBytes?: number;
}

/** Resolves and delivers pods' outgoing HTTP calls. */
export class ServiceClient {
  /** The handler a runtime calls (bound: pass it around as is). */
  readonly handle: OutgoingHttpHandler = (caller, req) => this.call(caller, req);

  constructor(private readonly deps: ServiceClientDeps) {}

  private async call(caller: OutgoingCaller, req: WorkloadRequest): Promise<WorkloadResponse> {
    const target = parseAuthority(req.authority, req.scheme);
    if (!target) throw new OutgoingHttpError('denied', `outgoing HTTP: "${req.authority}" is not a host[:port] this node can call`);
    const named = serviceNameOf(target.host, caller.namespace);
    const ports = named && this.deps.table.ports(named.namespace, named.name);
    if (ports) {
      const svc = `${named.namespace}/${named.name}`;
      if (req.scheme !== 'http') {
        throw new OutgoingHttpError('connection-refused', `Service "${svc}" is reached with plain http inside the mesh (node-to-node hops are authenticated by the node): use http://${req.authority}`);
      }
      const route = ports.find((p) => p.port.port === target.port);
      if (!route) throw new OutgoingHttpError('connection-refused', `Service "${svc}" does not serve port ${target.port} (its ports: ${ports.map((p) => p.port.port).join(', ')})`);
      return this.callService(caller, route, req);
    }
    const policy = parseEgressPolicy(this.deps.annotations(caller)?.[ALLOWED_OUTGOING_HOSTS_ANNOTATION]);
    if (egressAllowed(policy, target)) return this.callExternal(target, req);
    const hostPort = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const notService = named ? `there is no Service "${named.name}" in namespace "${named.namespace}", and ` : '';
    const ignored = policy.invalid.length > 0 ? ` (ignored invalid entries: ${policy.invalid.join(', ')})` : '';
    throw new OutgoingHttpError(
      'denied',
      `outgoing HTTP to ${hostPort} denied: ${notService}pod ${caller.namespace}/${caller.name} does not allow it; ` +
        `list it in the pod annotation ${ALLOWED_OUTGOING_HOSTS_ANNOTATION}, e.g. "${hostPort}"${ignored}`,
    );
  }

  private async callService(caller: OutgoingCaller, route: ServicePortRoute, req: WorkloadRequest): Promise<WorkloadResponse> {
    const svc = `${route.service.namespace}/${route.service.name}`;
    const ctx = { origin: this.deps.origin(), ...(route.service.sessionAffinity === 'ClientIP' ? { affinityKey: caller.uid } : {}) };
    const outcome = await this.withDeadline(req, (sink, left) => this.deps.balancer.deliver(route, bufferedRequest(req), sink, { ctx, timeoutMs: left }));
    const { result, sink, timeoutMs } = outcome;
    switch (result.kind) {
      case 'no-endpoints':
        throw new OutgoingHttpError('connection-refused', `Service "${svc}" has no ready endpoints`);
      case 'unreachable':
        throw new OutgoingHttpError('connection-refused', `no endpoint of Service "${svc}" could be reached (${result.failures.join('; ')})`);
      case 'failed':
      case 'cancelled':
      case 'answered': {
        const res = sink.response();
        if (res) return res;
        throw this.incomplete(sink, `Service "${svc}"`, timeoutMs, result.kind === 'failed' ? result.error : undefined);
      }
    }
  }

  private async callExternal(target: Authority, req: WorkloadRequest): Promise<WorkloadResponse> {
    const origin = `${req.scheme}://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const { result, sink, timeoutMs } = await this.withDeadline(req, async (s, left) => {
      try {
        const status = await this.deps.deliverer.fetchExternal(origin, bufferedRequest(req), s, left());
        return { status };
      } catch (err) {
        return { err };
      }
    });
    const res = sink.response();
    if (res) return res;
    if ('err' in result && result.err instanceof UpstreamUnreachableError) {
      throw new OutgoingHttpError(connectFailure(result.err.code), `${origin}: cannot connect (${result.err.code ?? result.err.message})`, result.err);
    }
    throw this.incomplete(sink, origin, timeoutMs, 'err' in result ? result.err : undefined);
  }

  /**
   * Runs `deliver` into a buffering sink cancelled at the caller's deadline; resolves at the deadline
   * at the latest (a late answer is dropped).
   */
  private async withDeadline<T>(req: WorkloadRequest, deliver: (sink: BufferingSink, left: () => number) => Promise<T>): Promise<{ result: T | BalanceResult; sink: BufferingSink; timeoutMs: number }> {
    const timeoutMs = req.timeoutMs ?? this.deps.deliverer.requestTimeoutMs;
    const sink = new BufferingSink(this.deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    const deadline = performance.now() + timeoutMs;
    const timer = setTimeout(() => sink.cancel(), timeoutMs);
    const cancelled = new Promise<BalanceResult>((resolve) => sink.onGone(() => resolve({ kind: 'cancelled' })));
    try {
      const result = await Promise.race([deliver(sink, () => Math.max(1, deadline - performance.now())), cancelled]);
      return { result, sink, timeoutMs };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The error of a call whose response never arrived whole. */
  private incomplete(sink: BufferingSink, what: string, timeoutMs: number, cause: unknown): OutgoingHttpError {
    switch (sink.stopped) {
      case 'cancelled':
        return new OutgoingHttpError('timeout', `${what}: no answer within ${timeoutMs} ms`);
      case 'too-large':
        return new OutgoingHttpError('internal', `${what}: response larger than ${this.deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES} bytes`);
      case 'broken':
        return new OutgoingHttpError('internal', `${what}: the connection broke before the response ended`);
      default: {
        const code = (cause as { code?: unknown } | undefined)?.code;
        const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
        this.deps.logger.debug({ target: what, err: errorMessage(cause) }, 'outgoing call failed');
        return new OutgoingHttpError(timedOut ? 'timeout' : 'internal', `${what}: ${cause === undefined ? 'no response' : errorMessage(cause)}`, cause);
      }
    }
  }
}

/** A pod's request in the form delivery takes: flat forwardable headers, `host` set to the authority. */
function bufferedRequest(req: WorkloadRequest): BufferedRequest {
  const raw: string[] = [];
  for (const [k, v] of req.headers) if (k.toLowerCase() !== 'host') raw.push(k, v);
  const headers = forwardableHeaders(raw);
  headers.push('host', req.authority);
  return { method: req.method, path: req.path || '/', authority: req.authority, headers, body: Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength), clientIp: '' };
}

function connectFailure(code: string | undefined): OutgoingFailure {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  return 'connection-refused';
}
