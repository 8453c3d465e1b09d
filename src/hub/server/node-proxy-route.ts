/**
 * `GET /api/v1/nodes/{name}/proxy/metrics`: a node's Prometheus metrics through the hub, for nodes
 * behind NAT (as Kubernetes proxies the kubelet's). Authorised as `get` on `nodes/proxy`, as there;
 * the node is asked over its gateway session. 404 for a node that does not exist (as Kubernetes), 503
 * naming the node when it exists but is not connected, 504 when it does not answer in time, 429 past
 * the per-node bound of requests in flight.
 */
import type { Hono } from 'hono';
import { NotFoundError, ServiceUnavailableError, typeByKind } from '../../api/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { ApiEnv, NodeMetricsSource } from './types.js';

const NODE = typeByKind('v1', 'Node')!;

/** The proxied paths a node serves (its agent's `/metrics` only). */
const PROXIED = new Set(['metrics']);

/** Mounts the node proxy route (before the generic `/api/*` dispatch). */
export function mountNodeProxy(app: Hono<ApiEnv>, source: NodeMetricsSource | undefined, api: ObjectAPI): void {
  app.get('/api/v1/nodes/:name/proxy/:path{.+}', async (c) => {
    const { name, path } = c.req.param();
    if (!PROXIED.has(path))
      throw new NotFoundError('', '', `the hub proxies only /metrics of a node, not /${path.slice(0, 100)}`);
    if (!source) throw new ServiceUnavailableError('this hub does not proxy node metrics');
    await api.get(NODE, undefined, name); // NotFound (404) for a node that does not exist
    const { body, contentType } = await source.fetch(name);
    return c.body(body, 200, { 'content-type': contentType });
  });
}
