/**
 * Request metrics middleware: every API request (refused ones included: it runs before
 * authentication) counted by Kubernetes verb, resource, subresource and code, its latency observed;
 * watches and followed logs counted open until their stream ends.
 */
import type { MiddlewareHandler } from 'hono';
import type { RequestAttributes } from '../auth/index.js';
import type { HubMetrics } from '../metrics/index.js';
import { requestAttributes } from './auth-middleware.js';
import { releasingBody, streamKindOf } from './stream-limits.js';

const VERB: Record<string, string> = {
  get: 'GET',
  list: 'LIST',
  watch: 'WATCH',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETECOLLECTION',
};

function labelsOf(what: RequestAttributes, method: string): { verb: string; resource: string; subresource: string } {
  if (what.kind === 'nonResource') return { verb: method, resource: '', subresource: '' };
  // A sub-resource action such as exec is `create` to RBAC but a CONNECT to the apiserver's metrics.
  const verb = what.subresource === 'exec' ? 'CONNECT' : (VERB[what.verb] ?? method);
  return { verb, resource: what.resource, subresource: what.subresource ?? '' };
}

/** Middleware recording `metrics` for each request; mount it first. */
export function instrumentRequests(metrics: HubMetrics): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const url = new URL(c.req.url);
    const labels = labelsOf(requestAttributes(c.req.method, c.req.path, url.searchParams), c.req.method);
    const code = c.res.status;
    metrics.request({ ...labels, code, seconds: (performance.now() - start) / 1000 });
    const kind = streamKindOf(c.req.method, c.req.path, (n) => url.searchParams.get(n) ?? undefined);
    if (kind === undefined || code !== 200 || c.res.body === null) return;
    const closed = metrics.longRunning(labels.verb, labels.resource);
    c.res = new Response(releasingBody(c.res.body, closed), c.res);
  };
}
