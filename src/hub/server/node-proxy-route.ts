/**
 * `GET /api/v1/nodes/{name}/proxy/metrics`: a node's Prometheus metrics through the hub, for nodes
 * behind NAT (as Kubernetes proxies the kubelet's). Authorised as `get` on `nodes/proxy`, as there;
 * the node is asked over its gateway session. 503 naming the node when it is not connected, 504 when it
 * does not answer in time, 429 past the per-node bound of requests in flight.
 */
import type { Hono } from 'hono';
import { NotFoundError, ServiceUnavailableError } from '../../api/index.js';
import type { ApiEnv, NodeMetricsSource } from './types.js';

/** The proxied paths a node serves (its agent's `/metrics` only). */
const PROXIED = new Set(['metrics']);

/** Mounts the node proxy route (before the generic `/api/*` dispatch). */
export function mountNodeProxy(app: Hono<ApiEnv>, source: NodeMetricsSource | undefined): void {
  app.get('/api/v1/nodes/:name/proxy/:path{.+}', async (c) => {
    const { name, path } = c.req.param();
    if (!PROXIED.has(path))
      throw new NotFoundError('', '', `the hub proxies only /metrics of a node, not /${path.slice(0, 100)}`);
    if (!source) throw new ServiceUnavailableError('this hub does not proxy node metrics');
    const { body, contentType } = await source.fetch(name);
    return c.body(body, 200, { 'content-type': contentType });
  });
}
