/**
 * The hub's HTTP API: Kubernetes URL layout and semantics over an `ObjectAPI`, the content store,
 * discovery, health. Every error leaves through one `onError` as a Kubernetes `Status`.
 */
import { Hono, type Context } from 'hono';
import { EdgeError, InternalError, NotFoundError, toStatus, type ServerVersion } from '../../api/index.js';
import { mastersOnlyAuthorizer } from '../auth/index.js';
import { mountAccessReviewRoutes } from './access-review-route.js';
import { mountBindingsRoute } from './binding-route.js';
import { requireAuth } from './auth-middleware.js';
import { mountBlobRoutes } from './blob-routes.js';
import { BlobFetchTracker, mountBlobSourceRoute } from './blob-sources.js';
import { mountPeerBlobRoutes } from '../blobs/index.js';
import { mountComponentStatuses } from './component-status-routes.js';
import { mountNoCustomResources } from './crd-routes.js';
import { mountNodeCertificateRoute } from './node-certificate-route.js';
import { DEFAULT_MAX_BODY_BYTES } from './body.js';
import { apiResourceList } from './discovery.js';
import { mountDiscovery } from './discovery-routes.js';
import { mountMetricsApi } from './metrics-api-routes.js';
import { mountNodeProxy } from './node-proxy-route.js';
import { mountOpenApiRoutes } from './openapi/index.js';
import { parseResourcePath } from './resource-path.js';
import { boundStatus } from './status-bounds.js';
import { InflightLimiter, limitInflight } from './inflight-limits.js';
import { instrumentRequests } from './request-metrics.js';
import { handleCollection, handleObject } from './resource-routes.js';
import { StreamLimiter, limitStreams } from './stream-limits.js';
import type { ApiDeps, ApiEnv } from './types.js';
import { WatchEncoder } from './watch-encoder.js';

/** Builds the API app; serve it with `@hono/node-server` or drive it with `app.request()`. */
export function createApiApp(given: ApiDeps): Hono<ApiEnv> {
  const deps: ApiDeps = { ...given, watchEncoder: given.watchEncoder ?? new WatchEncoder() };
  const app = new Hono<ApiEnv>();
  const maxBody = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = deps.logger;

  app.use(async (c, next) => {
    const start = performance.now();
    await next();
    // Path only: neither headers (tokens) nor bodies (secrets) are logged.
    log.debug(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - start) },
      'request',
    );
  });
  if (deps.metrics) app.use(instrumentRequests(deps.metrics));

  app.onError((err, c) => {
    const known = err instanceof EdgeError;
    if (!known || err.httpStatus >= 500) log.error({ err, method: c.req.method, path: c.req.path }, 'request failed');
    const status = boundStatus(
      toStatus(known ? err : new InternalError('an internal error occurred; see the hub log')),
    );
    return c.json(status, status.code as 500);
  });
  app.notFound((c) => {
    const status = toStatus(new NotFoundError('', '', 'the server could not find the requested resource'));
    return c.json(status, 404);
  });

  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', (c) =>
    c.text(c.req.query('verbose') !== undefined && deps.readyzVerbose ? deps.readyzVerbose() : 'ok'),
  );
  app.get('/version', (c) => {
    const version: ServerVersion = { ...deps.version, platform: `${process.platform}/${process.arch}` };
    return c.json(version);
  });

  // Public by design: a CA certificate is no secret, and the joining node checks its hash itself.
  app.get('/cacerts', (c) =>
    deps.caBundlePem === undefined
      ? c.text('this hub has no CA to serve (plain HTTP, or a certificate given without its chain)\n', 404)
      : c.body(deps.caBundlePem, 200, { 'content-type': 'application/x-pem-file' }),
  );

  if (deps.nodeCertificates) mountNodeCertificateRoute(app, deps.auth, deps.nodeCertificates);
  const authorize = deps.rbac?.authorize ?? mastersOnlyAuthorizer;
  app.use(requireAuth(deps.auth, authorize, deps.nodeCertificates?.certificates));
  app.use(limitInflight(deps.inflight ?? new InflightLimiter(), deps.metrics));
  app.use(limitStreams(deps.streamLimits ?? new StreamLimiter()));
  // Authorized as the non-resource URL `/metrics` (verb get): cluster-admin and system:masters have it;
  // a scraper gets a ClusterRole with `nonResourceURLs: ["/metrics"], verbs: ["get"]`.
  const metrics = deps.metrics;
  if (metrics)
    app.get('/metrics', async (c) => {
      const { text, contentType } = await metrics.render();
      return c.body(text, 200, { 'content-type': contentType });
    });

  // Before the blob itself: which nodes of the caller's zone hold a blob (issue 20, peer-to-peer).
  const fetches = deps.blobSourceNodes ? new BlobFetchTracker(deps.blobSourceNodes) : undefined;
  if (deps.blobSourceNodes) mountBlobSourceRoute(app, deps.blobSourceNodes, fetches);
  mountBlobRoutes(app, deps.blobs, deps.blobEncodings, fetches);
  mountPeerBlobRoutes(app, deps.blobs); // hubs copying blobs to each other (issue 19)
  mountDiscovery(app);
  mountAccessReviewRoutes(app, { authorize, policy: deps.rbac?.policy, maxBody });
  mountBindingsRoute(app, (c) => (deps.rbac ? deps.rbac.apiFor(c.var.principal, deps.api) : deps.api), maxBody);
  mountMetricsApi(app, deps.metricsApi);
  mountComponentStatuses(app, deps.componentStatuses);
  mountNoCustomResources(app);
  mountNodeProxy(app, deps.nodeMetrics, deps.api);
  mountOpenApiRoutes(app, deps.version.gitVersion);
  app.all('/api/*', (c) => dispatch(c));
  app.all('/apis/*', (c) => dispatch(c));

  async function dispatch(c: Context<ApiEnv>): Promise<Response> {
    const route = parseResourcePath(c.req.path);
    if (!route) return c.notFound();
    // Writes go through the caller's view of the object API (RBAC's escalation prevention).
    const rbac = deps.rbac;
    const d = rbac ? { ...deps, api: rbac.apiFor(c.var.principal, deps.api) } : deps;
    switch (route.scope) {
      case 'groupVersion':
        return c.json(apiResourceList(route.group, route.version));
      case 'collection':
        return handleCollection(c, route, d, maxBody);
      case 'object':
        return handleObject(c, route, d, maxBody);
    }
  }

  return app;
}
