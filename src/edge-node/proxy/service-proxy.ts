/**
 * The node's Service proxy: one node:http listener per `nodePort` of the Services the hub synced.
 * A request goes to a ready endpoint chosen by the `EndpointPicker` — a local pod through its
 * runtime, a remote one through the peer's mesh server — with one retry on another endpoint when
 * the first cannot be reached.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorMessage } from '../../api/index.js';
import type { Logger, ServiceRoute } from '../../api/index.js';
import { Deliverer, UpstreamUnreachableError, type LocalContainerTarget } from './delivery.js';
import type { EndpointPicker, ServiceEndpoint } from './endpoint-picker.js';
import { BodyTooLargeError, readRequest, sendText, withForwardedFor, type BufferedRequest } from './http-util.js';

/** Resolves a pod on this node to the container serving a port. */
export type LocalTargetLookup = (namespace: string, name: string, targetPort: number | string) => ({ ok: true } & LocalContainerTarget) | { ok: false; reason: string; message: string };

/** Dependencies of the Service proxy. */
export interface ServiceProxyDeps {
  /** Address the NodePorts listen on. */
  address: string;
  /** This node's name (endpoints on it are delivered locally). */
  nodeName(): string;
  meshToken(): string | undefined;
  picker: EndpointPicker;
  local: LocalTargetLookup;
  deliverer: Deliverer;
  logger: Logger;
  /** Largest request body accepted (default 16 MiB). */
  maxBodyBytes?: number;
}

interface Route {
  service: ServiceRoute;
  port: ServiceRoute['ports'][number];
  /** The service's ready endpoints (computed once per update, not per request). */
  ready: ServiceEndpoint[];
  /** The picker's key: `namespace/name:port`. */
  key: string;
}

/** NodePort listeners and their routing. */
export class ServiceProxy {
  private readonly deps: ServiceProxyDeps;
  /** Current route of each nodePort; listeners read it per request, so an update needs no rebind. */
  private readonly routes = new Map<number, Route>();
  private readonly servers = new Map<number, Server>();
  private stopped = false;

  constructor(deps: ServiceProxyDeps) {
    this.deps = deps;
  }

  /** The nodePorts currently listened on. */
  listeningPorts(): number[] {
    return [...this.servers.keys()];
  }

  /** Applies the whole Service set: opens new nodePorts, closes removed ones, re-routes the rest. */
  async update(services: ServiceRoute[]): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map<number, Route>();
    for (const service of services) {
      for (const port of service.ports) {
        if (port.nodePort === undefined) continue;
        if (wanted.has(port.nodePort)) {
          this.deps.logger.error({ nodePort: port.nodePort, service: `${service.namespace}/${service.name}` }, 'nodePort used by two services; keeping the first');
          continue;
        }
        const ready = service.endpoints.filter((e) => e.ready);
        wanted.set(port.nodePort, { service, port, ready, key: `${service.namespace}/${service.name}:${port.port}` });
      }
    }
    this.routes.clear();
    for (const [p, r] of wanted) this.routes.set(p, r);
    const closing = [...this.servers.entries()].filter(([p]) => !wanted.has(p));
    await Promise.all(closing.map(([p, s]) => this.close(p, s)));
    await Promise.all([...wanted.keys()].filter((p) => !this.servers.has(p)).map((p) => this.listen(p)));
  }

  /** Closes every listener. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.routes.clear();
    await Promise.all([...this.servers.entries()].map(([p, s]) => this.close(p, s)));
  }

  private async listen(nodePort: number): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(nodePort, req, res).catch((err: unknown) => {
        this.deps.logger.error({ nodePort, err: errorMessage(err) }, 'proxy request failed');
        sendText(res, 500, `proxy error: ${errorMessage(err)}`);
      });
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    this.servers.set(nodePort, server);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(nodePort, this.deps.address, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.deps.logger.error({ nodePort, err: err.message }, 'nodePort listener error'));
      this.deps.logger.info({ nodePort, address: this.deps.address }, 'nodePort listening');
    } catch (err) {
      this.servers.delete(nodePort);
      this.deps.logger.error({ nodePort, address: this.deps.address, err: errorMessage(err) }, 'cannot listen on nodePort');
    }
  }

  private async close(nodePort: number, server: Server): Promise<void> {
    this.servers.delete(nodePort);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(nodePort: number, req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.on('error', () => undefined); // a client abort must not surface as an unhandled error
    res.on('error', () => undefined);
    const route = this.routes.get(nodePort);
    if (!route) return sendText(res, 503, `no service on node port ${nodePort}`);
    const { service, port, ready, key } = route;
    const svc = `${service.namespace}/${service.name}`;
    let body;
    try {
      body = await readRequest(req, this.deps.maxBodyBytes ?? 16 * 1024 * 1024);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendText(res, 413, err.message);
      return; // the client aborted while sending
    }
    if (ready.length === 0) return sendText(res, 503, `no ready endpoints for service "${svc}"`);
    const ctx = service.sessionAffinity === 'ClientIP' ? { affinityKey: body.clientIp } : {};
    const tried = new Set<ServiceEndpoint>();
    const downNodes = new Set<string>();
    const failures: string[] = [];
    // One attempt plus one retry on another endpoint, only when the first could not be reached
    // (on another node when it was the node that could not be reached).
    for (let attempt = 0; attempt < 2; attempt++) {
      const untried = tried.size === 0 ? ready : ready.filter((e) => !tried.has(e));
      const elsewhere = downNodes.size === 0 ? untried : untried.filter((e) => !downNodes.has(e.nodeName));
      const ep = this.deps.picker.pick(key, elsewhere.length > 0 ? elsewhere : untried, ctx);
      if (!ep) break;
      tried.add(ep);
      try {
        await this.deliver(ep, port.targetPort, body, res);
        this.deps.picker.onResult?.(key, ep, 'ok');
        return;
      } catch (err) {
        const unreachable = err instanceof UpstreamUnreachableError;
        if (unreachable && err.nodeUnreachable) downNodes.add(ep.nodeName);
        this.deps.picker.onResult?.(key, ep, unreachable ? 'connect-error' : 'error');
        failures.push(`${ep.pod.namespace}/${ep.pod.name}@${ep.nodeName}: ${errorMessage(err)}`);
        if (!unreachable || res.headersSent || res.destroyed) {
          sendText(res, 502, `service "${svc}": ${errorMessage(err)}`);
          return;
        }
      }
    }
    sendText(res, 503, `service "${svc}": no endpoint could be reached (${failures.join('; ')})`);
  }

  private async deliver(ep: ServiceEndpoint, targetPort: number | string, req: BufferedRequest, res: ServerResponse): Promise<void> {
    if (ep.nodeName === this.deps.nodeName()) {
      const t = this.deps.local(ep.pod.namespace, ep.pod.name, targetPort);
      if (!t.ok) throw new UpstreamUnreachableError(t.message);
      await this.deps.deliverer.deliverLocal(t, { ...req, headers: withForwardedFor(req.headers, req.clientIp) }, res);
      return;
    }
    const token = this.deps.meshToken();
    if (token === undefined) throw new UpstreamUnreachableError('no mesh token yet (the hub has not welcomed this node)');
    await this.deps.deliverer.forwardRemote(ep, targetPort, token, req, res);
  }
}
