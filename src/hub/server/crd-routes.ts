/**
 * `GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions[/{name}]`: always none (Edgeplane has
 * no custom resources, and the kind is not in discovery). kubectl asks it when a manifest names a kind
 * the OpenAPI does not know; answered, kubectl says `no matches for kind …` instead of "failed to check
 * CRD: … the server could not find the requested resource".
 */
import type { Hono } from 'hono';
import { NotFoundError } from '../../api/index.js';
import type { ApiEnv } from './types.js';

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

/** Mounts the routes (before the generic `/apis/*` dispatch). */
export function mountNoCustomResources(app: Hono<ApiEnv>): void {
  app.get(CRDS, (c) =>
    c.json({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinitionList',
      metadata: { resourceVersion: '0' },
      items: [],
    }),
  );
  app.get(`${CRDS}/:name`, (c) => {
    throw new NotFoundError('customresourcedefinitions.apiextensions.k8s.io', c.req.param('name'));
  });
}
