/**
 * The node's NodePort listeners: one node:http server per `nodePort` in the `ServiceTable`. Each
 * request is external traffic (externalTrafficPolicy: Cluster): balanced over every ready endpoint
 * of the Service, on any node, by the shared `ServiceBalancer`. Services without a nodePort
 * (ClusterIP) open nothing here; they are reachable only from pods, through the mesh. Each
 * listener has the node's `ListenerLimits` (request cap, body maximum, slow-client timeouts) and
 * streams request bodies through. A nodePort that cannot be bound (another process holds it) is
 * tried again with backoff until it opens or leaves the table, as kube-proxy retries at each sync:
 * the Services may not change again for a long time.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { errorMessage } from '../../../api/index.js';
import type { Logger } from '../../../api/index.js';
import { answerFailure, answerUndelivered } from '../balancing/balance-answer.js';
import { proxiedRequest, sendText, withForwardedFor } from '../http/http-util.js';
import { RequestGate, createLimitedServer, listenerLimits, type ListenerLimits } from '../http/listener-limits.js';
import type { BodyBuffers } from '../http/body-limits.js';
import { ServerResponseSink } from '../http/response-sink.js';
import type { ServiceBalancer } from '../balancing/service-balancer.js';
import type { ServiceTable } from '../balancing/service-table.js';

/** Dependencies of the NodePort proxy. */
export interface NodePortProxyDeps {
  /** Address the NodePorts listen on. */
  address: string;
  table: ServiceTable;
  balancer: ServiceBalancer;
  logger: Logger;
  /** Limits of each listener (defaults: `DEFAULT_LISTENER_LIMITS`). */
  limits?: Partial<ListenerLimits>;
  /** The node's budget for bodies held whole (requests to Wasm workloads), taken on small-body prefetch. */
  bodyBuffers?: BodyBuffers;
  /** Backoff of a nodePort that could not be bound (default: 1 s doubling to 30 s). */
  bindRetry?: { initialMs: number; maxMs: number };
}

/** How a nodePort that could not be bound is tried again. */
export const DEFAULT_BIND_RETRY = { initialMs: 1000, maxMs: 30_000 } as const;

/** NodePort listeners. */
export class NodePortProxy {
  private readonly deps: NodePortProxyDeps;
  private readonly servers = new Map<number, { server: Server; gate: RequestGate }>();
  private readonly limits: ListenerLimits;
  /** nodePorts waiting to be tried again: failed attempts so far and the timer of the next. */
  private readonly retries = new Map<number, { attempts: number; timer: NodeJS.Timeout }>();
  private stopped = false;

  constructor(deps: NodePortProxyDeps) {
    this.deps = deps;
    this.limits = listenerLimits(deps.limits);
  }

  /** Requests in flight on `nodePort`'s listener (tests, diagnostics). */
  inFlight(nodePort: number): number {
    return this.servers.get(nodePort)?.gate.inFlight ?? 0;
  }

  /** The nodePorts currently listened on. */
  listeningPorts(): number[] {
    return [...this.servers.keys()];
  }

  /** The nodePorts that could not be bound and are waiting to be tried again (tests, diagnostics). */
  pendingPorts(): number[] {
    return [...this.retries.keys()];
  }

  /**
   * Opens the table's new nodePorts and closes the ones it no longer has. Listeners read the table
   * per request, so a changed route needs no rebind. A port waiting for its retry is left to it.
   */
  async update(): Promise<void> {
    if (this.stopped) return;
    const wanted = new Set(this.deps.table.nodePorts());
    for (const p of this.retries.keys()) if (!wanted.has(p)) this.cancelRetry(p);
    const closing = [...this.servers.entries()].filter(([p]) => !wanted.has(p));
    await Promise.all(closing.map(([p, s]) => this.close(p, s.server)));
    const opening = [...wanted].filter((p) => !this.servers.has(p) && !this.retries.has(p));
    await Promise.all(opening.map((p) => this.listen(p)));
  }

  /** Closes every listener. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of [...this.retries.keys()]) this.cancelRetry(p);
    await Promise.all([...this.servers.entries()].map(([p, s]) => this.close(p, s.server)));
  }

  private async listen(nodePort: number): Promise<void> {
    const gate = new RequestGate(this.limits, `node port ${nodePort}`);
    const server = createLimitedServer(this.limits, gate, (req, res) => {
      this.handle(nodePort, req, res).catch((err: unknown) => {
        this.deps.logger.error({ nodePort, err: errorMessage(err) }, 'proxy request failed');
        sendText(res, 500, `proxy error: ${errorMessage(err)}`);
      });
    });
    this.servers.set(nodePort, { server, gate });
    try {
      await new Promise<void>((resolve, reject) => {
        // Closed (by update or stop) before the bind finished: Node then reports neither outcome.
        const closed = (): void => reject(new Error('closed before it was listening'));
        server.once('error', reject);
        server.once('close', closed);
        server.listen(nodePort, this.deps.address, () => {
          server.off('error', reject);
          server.off('close', closed);
          resolve();
        });
      });
      server.on('error', (err) => this.deps.logger.error({ nodePort, err: err.message }, 'nodePort listener error'));
      this.retries.delete(nodePort);
      this.deps.logger.info({ nodePort, address: this.deps.address }, 'nodePort listening');
      // Stopped, or the port left the table, while the bind was under way.
      if (!this.wanted(nodePort)) await this.close(nodePort, server);
    } catch (err) {
      if (this.servers.get(nodePort)?.server === server) this.servers.delete(nodePort);
      // Not wanted any more: nothing to try again.
      if (!this.wanted(nodePort)) return void this.retries.delete(nodePort);
      this.scheduleRetry(nodePort, errorMessage(err));
    }
  }

  /** Whether `nodePort` should be listened on now: the proxy runs and the table has it. */
  private wanted(nodePort: number): boolean {
    return !this.stopped && this.deps.table.byNodePort(nodePort) !== undefined;
  }

  /** Tries `nodePort` again after a backoff that doubles with each failed attempt. */
  private scheduleRetry(nodePort: number, err: string): void {
    const { initialMs, maxMs } = this.deps.bindRetry ?? DEFAULT_BIND_RETRY;
    const attempts = (this.retries.get(nodePort)?.attempts ?? 0) + 1;
    const retryInMs = Math.min(maxMs, initialMs * 2 ** Math.min(attempts - 1, 30));
    // An error the first few times; after that a warning each try (every `maxMs`), not a stream of errors.
    const log =
      attempts <= 3 ? this.deps.logger.error.bind(this.deps.logger) : this.deps.logger.warn.bind(this.deps.logger);
    log({ nodePort, address: this.deps.address, err, attempts, retryInMs }, 'cannot listen on nodePort');
    const timer = setTimeout(() => {
      if (!this.wanted(nodePort)) return void this.retries.delete(nodePort);
      void this.listen(nodePort);
    }, retryInMs);
    // The agent's other handles keep it alive; a pending retry alone must not.
    timer.unref();
    this.retries.set(nodePort, { attempts, timer });
  }

  private cancelRetry(nodePort: number): void {
    clearTimeout(this.retries.get(nodePort)?.timer);
    this.retries.delete(nodePort);
  }

  private async close(nodePort: number, server: Server): Promise<void> {
    if (this.servers.get(nodePort)?.server === server) this.servers.delete(nodePort);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(nodePort: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on('error', () => undefined); // a client abort must not surface as an unhandled error
    res.on('error', () => undefined);
    const route = this.stopped ? undefined : this.deps.table.byNodePort(nodePort);
    if (!route) return sendText(res, 503, `no service on node port ${nodePort}`);
    const svc = `${route.service.namespace}/${route.service.name}`;
    const request = proxiedRequest(req, this.limits.maxRequestBodyBytes);
    try {
      await request.body.prefetch(this.deps.bodyBuffers);
      const ctx = route.service.sessionAffinity === 'ClientIP' ? { affinityKey: request.clientIp } : {};
      const result = await this.deps.balancer.deliver(
        route,
        { ...request, headers: withForwardedFor(request.headers, request.clientIp) },
        new ServerResponseSink(res),
        { ctx },
      );
      answerUndelivered(res, svc, result);
    } catch (err) {
      answerFailure(res, err, 'proxy error: ');
    } finally {
      request.body.release();
    }
  }
}
