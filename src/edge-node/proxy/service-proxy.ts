/**
 * The node's NodePort listeners: one node:http server per `nodePort` in the `ServiceTable`. Each
 * request is external traffic (externalTrafficPolicy: Cluster): balanced over every ready endpoint
 * of the Service, on any node, by the shared `ServiceBalancer`. Services without a nodePort
 * (ClusterIP) open nothing here; they are reachable only from pods, through the mesh.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorMessage } from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import { answerUndelivered } from './balance-answer.js';
import { BodyTooLargeError, readRequest, sendText, withForwardedFor } from './http-util.js';
import { ServerResponseSink } from './response-sink.js';
import type { ServiceBalancer } from './service-balancer.js';
import type { ServiceTable } from './service-table.js';

/** Dependencies of the NodePort proxy. */
export interface ServiceProxyDeps {
  /** Address the NodePorts listen on. */
  address: string;
  table: ServiceTable;
  balancer: ServiceBalancer;
  logger: Logger;
  /** Largest request body accepted (default 16 MiB). */
  maxBodyBytes?: number;
}

/** NodePort listeners. */
export class ServiceProxy {
  private readonly deps: ServiceProxyDeps;
  private readonly servers = new Map<number, Server>();
  private stopped = false;

  constructor(deps: ServiceProxyDeps) {
    this.deps = deps;
  }

  /** The nodePorts currently listened on. */
  listeningPorts(): number[] {
    return [...this.servers.keys()];
  }

  /**
   * Opens the table's new nodePorts and closes the ones it no longer has. Listeners read the table
   * per request, so a changed route needs no rebind.
   */
  async update(): Promise<void> {
    if (this.stopped) return;
    const wanted = new Set(this.deps.table.nodePorts());
    const closing = [...this.servers.entries()].filter(([p]) => !wanted.has(p));
    await Promise.all(closing.map(([p, s]) => this.close(p, s)));
    await Promise.all([...wanted].filter((p) => !this.servers.has(p)).map((p) => this.listen(p)));
  }

  /** Closes every listener. */
  async stop(): Promise<void> {
    this.stopped = true;
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
    const route = this.stopped ? undefined : this.deps.table.byNodePort(nodePort);
    if (!route) return sendText(res, 503, `no service on node port ${nodePort}`);
    const svc = `${route.service.namespace}/${route.service.name}`;
    let body;
    try {
      body = await readRequest(req, this.deps.maxBodyBytes ?? 16 * 1024 * 1024);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendText(res, 413, err.message);
      return; // the client aborted while sending
    }
    const ctx = route.service.sessionAffinity === 'ClientIP' ? { affinityKey: body.clientIp } : {};
    const result = await this.deps.balancer.deliver(route, { ...body, headers: withForwardedFor(body.headers, body.clientIp) }, new ServerResponseSink(res), { ctx });
    answerUndelivered(res, svc, result);
  }
}
