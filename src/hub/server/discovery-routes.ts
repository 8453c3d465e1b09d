/**
 * `GET /api` and `GET /apis`: the aggregated document when the Accept header asks for one of its
 * versions before plain JSON (kubectl ≥ 1.26 does), else the legacy list.
 */
import type { Context, Hono } from 'hono';
import { acceptsPlainJson, parseAccept } from './accept.js';
import {
  AGGREGATED_VERSIONS,
  aggregatedContentType,
  aggregatedDiscovery,
  type AggregatedVersion,
} from './discovery-aggregated.js';
import { apiGroupList, apiVersions } from './discovery.js';
import type { ApiEnv } from './types.js';

/** The aggregated version the client prefers, or `legacy` when it prefers plain JSON. */
export function negotiateDiscovery(accept: string | undefined): AggregatedVersion | 'legacy' {
  for (const range of parseAccept(accept)) {
    const { as, g, v } = range.params;
    if (range.type === 'application/json' && as === 'APIGroupDiscoveryList' && g === 'apidiscovery.k8s.io') {
      const known = AGGREGATED_VERSIONS.find((x) => x === v);
      if (known) return known;
      continue;
    }
    if (acceptsPlainJson(range)) return 'legacy';
  }
  // Nothing we serve was named: plain JSON, as before (a client that cannot read it fails visibly).
  return 'legacy';
}

function answer(c: Context<ApiEnv>, which: 'legacy' | 'groups'): Response {
  const version = negotiateDiscovery(c.req.header('accept'));
  if (version === 'legacy') return c.json(which === 'legacy' ? apiVersions() : apiGroupList());
  return c.body(JSON.stringify(aggregatedDiscovery(which, version)), 200, {
    'content-type': aggregatedContentType(version),
    // As kube-apiserver: the document differs by Accept, so caches must key on it.
    vary: 'Accept',
  });
}

/** Mounts `/api` and `/apis` (the group-version lists are served with the resource URLs). */
export function mountDiscovery(app: Hono<ApiEnv>): void {
  app.get('/api', (c) => answer(c, 'legacy'));
  app.get('/apis', (c) => answer(c, 'groups'));
}
