/**
 * The node's `OutgoingHttpHandler`: a pod's outgoing HTTP call (a Wasm guest's
 * `wasi:http/outgoing-handler`) is resolved by `resolveOutgoing` — to a Service, balanced with
 * locality preference and delivered locally or over the mesh, with the whole response buffered; or
 * to an external host the caller pod's `edgeplane.io/allowed-outgoing-hosts` annotation allows,
 * fetched directly; anything else is refused with `denied`. The caller's deadline
 * (`req.timeoutMs`) bounds the whole exchange, retries included.
 */
import { OutgoingHttpError, errorMessage } from '../../../api/index.js';
import type {
  Logger,
  OutgoingCaller,
  OutgoingFailure,
  OutgoingHttpHandler,
  WorkloadRequest,
  WorkloadResponse,
} from '../../../api/index.js';
import type { Deliverer } from '../delivery/deliverer.js';
import { UpstreamUnreachableError } from '../delivery/upstream-error.js';
import type { PickOrigin } from '../balancing/endpoint-picker.js';
import { forwardableHeaders, type ProxiedRequest } from '../http/http-util.js';
import { RequestBody } from '../http/request-body.js';
import { BufferingSink } from '../http/response-sink.js';
import type { BalanceResult, ServiceBalancer } from '../balancing/service-balancer.js';
import { heldText } from '../balancing/balance-answer.js';
import type { ServicePortRoute, ServiceTable } from '../balancing/service-table.js';
import { resolveOutgoing } from './outgoing-target.js';

/** Largest response body a pod's call buffers unless configured otherwise. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/**
 * How much later than the caller's deadline the delivery's own deadline falls. The caller's deadline
 * is the client's to report (a timeout error to the guest, not an answer); a container port's
 * deliverer answers 504 at its deadline (delivery/container-deadline.ts), so given the same budget the
 * two timers would race. With this margin the client's fires first, and the deliverer's stays the
 * backstop that closes the container's request just after; a shorter limit on the callee's side (its
 * pod's request timeout, a route's timeout) still answers first, naming itself.
 */
const CALLER_DEADLINE_FIRST_MS = 25;

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
  readonly handle: OutgoingHttpHandler = (caller, req) =>
    this.call(caller, req).catch((err: unknown) => this.logFailure(caller, req, err));
  /** When each `pod → host: failure` was last logged: a guest that retries in a loop logs once a minute. */
  readonly #lastLogged = new Map<string, number>();

  constructor(private readonly deps: ServiceClientDeps) {}

  /**
   * Logs why a call got no response (WASI's error codes carry no text, so the node's log is where a
   * developer finds the reason), then rethrows.
   */
  private logFailure(caller: OutgoingCaller, req: WorkloadRequest, err: unknown): never {
    const failure = err instanceof OutgoingHttpError ? err.failure : 'internal';
    const key = `${caller.namespace}/${caller.name} ${req.authority} ${failure}`;
    const now = Date.now();
    if ((this.#lastLogged.get(key) ?? 0) + 60_000 <= now) {
      if (this.#lastLogged.size > 1000) this.#lastLogged.clear();
      this.#lastLogged.set(key, now);
      this.deps.logger.info(
        {
          pod: `${caller.namespace}/${caller.name}`,
          container: caller.container,
          host: req.authority,
          failure,
          err: errorMessage(err),
        },
        'outgoing call got no response',
      );
    }
    throw err;
  }

  private async call(caller: OutgoingCaller, req: WorkloadRequest): Promise<WorkloadResponse> {
    const annotations = this.deps.annotations(caller);
    const identity = {
      namespace: caller.namespace,
      pod: { namespace: caller.namespace, name: caller.name, ...(annotations ? { annotations } : {}) },
    };
    const target = resolveOutgoing(this.deps.table, identity, req.scheme, req.authority);
    return target.kind === 'service'
      ? this.callService(caller, target.route, req)
      : this.callExternal(target.origin, req);
  }

  private async callService(
    caller: OutgoingCaller,
    route: ServicePortRoute,
    req: WorkloadRequest,
  ): Promise<WorkloadResponse> {
    const svc = `${route.service.namespace}/${route.service.name}`;
    const ctx = {
      origin: this.deps.origin(),
      ...(route.service.sessionAffinity === 'ClientIP' ? { affinityKey: caller.uid } : {}),
    };
    const outcome = await this.withDeadline(req, (sink, left) =>
      this.deps.balancer.deliver(route, bufferedRequest(req), sink, {
        ctx,
        timeoutMs: () => left() + CALLER_DEADLINE_FIRST_MS,
      }),
    );
    const { result, sink, timeoutMs } = outcome;
    switch (result.kind) {
      case 'no-endpoints':
        throw new OutgoingHttpError(
          'connection-refused',
          `Service "${svc}" has no ready endpoints${heldText(result.held)}`,
        );
      case 'unreachable':
        throw new OutgoingHttpError(
          'connection-refused',
          `no endpoint of Service "${svc}" could be reached (${result.failures.join('; ')})`,
        );
      case 'failed':
      case 'cancelled':
      case 'answered': {
        const res = sink.response();
        if (res) return res;
        throw this.incomplete(sink, `Service "${svc}"`, timeoutMs, result.kind === 'failed' ? result.error : undefined);
      }
    }
  }

  private async callExternal(origin: string, req: WorkloadRequest): Promise<WorkloadResponse> {
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
      throw new OutgoingHttpError(
        connectFailure(result.err.code),
        `${origin}: cannot connect (${result.err.code ?? result.err.message})`,
        result.err,
      );
    }
    throw this.incomplete(sink, origin, timeoutMs, 'err' in result ? result.err : undefined);
  }

  /**
   * Runs `deliver` into a buffering sink cancelled at the caller's deadline; resolves at the deadline
   * at the latest (a late answer is dropped).
   */
  private async withDeadline<T>(
    req: WorkloadRequest,
    deliver: (sink: BufferingSink, left: () => number) => Promise<T>,
  ): Promise<{ result: T | BalanceResult; sink: BufferingSink; timeoutMs: number }> {
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
        return new OutgoingHttpError(
          'internal',
          `${what}: response larger than ${this.deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES} bytes`,
        );
      case 'broken':
        return new OutgoingHttpError('internal', `${what}: the connection broke before the response ended`);
      default: {
        const code = (cause as { code?: unknown } | undefined)?.code;
        const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
        this.deps.logger.debug({ target: what, err: errorMessage(cause) }, 'outgoing call failed');
        return new OutgoingHttpError(
          timedOut ? 'timeout' : 'internal',
          `${what}: ${cause === undefined ? 'no response' : errorMessage(cause)}`,
          cause,
        );
      }
    }
  }
}

/** A pod's request in the form delivery takes: flat forwardable headers, `host` set to the authority. */
function bufferedRequest(req: WorkloadRequest): ProxiedRequest {
  const raw: string[] = [];
  for (const [k, v] of req.headers) if (k.toLowerCase() !== 'host') raw.push(k, v);
  const headers = forwardableHeaders(raw);
  headers.push('host', req.authority);
  return {
    method: req.method,
    path: req.path || '/',
    authority: req.authority,
    headers,
    body: RequestBody.whole(Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength)),
    clientIp: '',
  };
}

function connectFailure(code: string | undefined): OutgoingFailure {
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  return 'connection-refused';
}
