/**
 * `POST /api/v1/namespaces/{ns}/bindings`: the `v1 Binding` collection, as `kubectl create -f
 * binding.yaml` and older schedulers use it. The same write as the `pods/binding` subresource
 * (registry/binding.ts), with the pod named by the body's `metadata.name` instead of the URL. Answered,
 * never stored: there is nothing to list, get or watch (discovery announces `create` only).
 */
import type { Context, Hono } from 'hono';
import { BadRequestError, InvalidError, MethodNotAllowedError, type Binding } from '../../api/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { bindPod, parseBinding } from '../registry/index.js';
import { writeOptions } from './apply-route.js';
import { readJson } from './body.js';
import type { ApiEnv } from './types.js';

/** The answer to a binding, on either route: Kubernetes' BindingREST answers a Success Status, not an object. */
export const BINDING_CREATED = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Success',
  code: 201,
} as const;

/** Mounts the collection route; `apiOf` is the object API as the request's caller writes through it. */
export function mountBindingsRoute(app: Hono<ApiEnv>, apiOf: (c: Context<ApiEnv>) => ObjectAPI, maxBody: number): void {
  app.post('/api/v1/namespaces/:namespace/bindings', async (c) => {
    const namespace = c.req.param('namespace');
    const binding = bindingOf(await readJson(c, maxBody), namespace);
    await bindPod(apiOf(c), namespace, binding.metadata?.name ?? '', binding, writeOptions(c));
    return c.json(BINDING_CREATED, 201);
  });
  app.all('/api/v1/namespaces/:namespace/bindings', (c) => {
    throw new MethodNotAllowedError(`bindings are only created (POST), not ${c.req.method}`);
  });
}

/** The body as a Binding of a pod it names, in the URL's namespace (422 or 400 naming what is wrong). */
function bindingOf(raw: unknown, namespace: string): Binding {
  const name = (raw as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  if (typeof name !== 'string' || name === '')
    throw new InvalidError('Binding', '', [
      { field: 'metadata.name', message: 'Required value: name of the pod to bind', reason: 'FieldValueRequired' },
    ]);
  const binding = parseBinding(name, raw);
  const given = binding.metadata?.namespace;
  // As Kubernetes: an object naming another namespace than the URL's is a bad request.
  if (given !== undefined && given !== '' && given !== namespace)
    throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
  return binding;
}
