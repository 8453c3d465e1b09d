/**
 * Where the node's Prometheus metrics are served: the answer to the hub's `metricsRequest` (how the
 * hub proxies a node behind NAT, bounded by `MAX_METRICS_BODY_BYTES`), and — only when
 * `--metrics-bind-address` is given — a plain HTTP listener answering `GET /metrics`. The listener
 * has no authentication, as a kubelet's read-only port had none: bind it to an address only the
 * scraper reaches. It says nothing a Service's clients could not learn, and no secret.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { MAX_METRICS_BODY_BYTES, errorMessage } from '../../../api/index.js';
import type { HubMetricsRequest, Logger, NodeMetricsResult } from '../../../api/index.js';

/** The registry's text exposition, or why there is none. */
export async function exposition(
  registry: Registry,
): Promise<{ contentType: string; body: string } | { error: string }> {
  try {
    const body = await registry.metrics();
    const bytes = Buffer.byteLength(body);
    if (bytes > MAX_METRICS_BODY_BYTES)
      return { error: `the node's metrics are ${bytes} bytes, over the ${MAX_METRICS_BODY_BYTES}-byte bound` };
    return { contentType: registry.contentType, body };
  } catch (err) {
    return { error: `collecting the node's metrics failed: ${errorMessage(err)}` };
  }
}

/** The answer to the hub's `metricsRequest`. */
export async function metricsResult(registry: Registry, req: HubMetricsRequest): Promise<NodeMetricsResult> {
  return { type: 'metricsResult', requestId: req.requestId, ...(await exposition(registry)) };
}

/** The `--metrics-bind-address` listener. */
export class MetricsListener {
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on `host:port` (port 0: any free one). */
  static async start(registry: Registry, host: string, port: number, logger: Logger): Promise<MetricsListener> {
    const server = createServer((req, res) => {
      req.resume();
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the node serves /metrics\n'); // prettier-ignore
      if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end(); // prettier-ignore
      void exposition(registry).then((out) => {
        if ('error' in out) return void res.writeHead(500, { 'content-type': 'text/plain' }).end(`${out.error}\n`);
        res.writeHead(200, { 'content-type': out.contentType }).end(req.method === 'HEAD' ? undefined : out.body);
      });
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => logger.warn({ err: err.message }, 'metrics listener error'));
    logger.info({ address: `${host}:${(server.address() as AddressInfo).port}` }, 'serving Prometheus /metrics');
    return new MetricsListener(server);
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
