/**
 * Handlers of resource URLs: collections (list, watch, create), objects and their subresources. Their
 * bodies and query values are read and checked in `resource-bodies.ts`.
 */
import type { Context } from 'hono';
import {
  BadRequestError,
  ConflictError,
  MethodNotAllowedError,
  NotFoundError,
  apiVersionOf,
  parseSecondsParam,
  patchMetaOf,
  type KubeObject,
  type ObjectList,
} from '../../api/index.js';
import { bindPod, parseBinding, type WriteOptions } from '../registry/index.js';
import { serverSideApply, writeOptions } from './apply-route.js';
import { BINDING_CREATED } from './binding-route.js';
import { readJson, readPatch } from './body.js';
import { bindToUrl, deleteOptions, isObject, isTrue, listLimit, readObject } from './resource-bodies.js';
import { attachStreamPlan, execInPod, execStreamPlan } from './exec-route.js';
import { applyFieldValidation } from './field-validation.js';
import { logWindow } from './streams/log-window.js';
import { portForwardRoute } from './streams/port-forward-plan.js';
import { streamSlot } from './streams/stream-env.js';
import { logOptions, logResponse } from './log-route.js';
import { listResponse } from './list-response.js';
import { applyPatch } from './patch.js';
import type { ResourceRoute } from './resource-path.js';
import { parseScale, patchScale, toScale, updateScale } from './scale.js';
import { TableWatchEncoder, listTable, negotiateTable, objectTable, tableResponse } from './table-negotiation.js';
import type { ApiDeps, ApiEnv } from './types.js';
import { WatchEncoder } from './watch-encoder.js';
import { watchResponse } from './watch-stream.js';

type Ctx = Context<ApiEnv>;
type ObjectRoute = Extract<ResourceRoute, { scope: 'object' }>;
type CollectionRoute = Extract<ResourceRoute, { scope: 'collection' }>;

const PATCH_RETRIES = 5;

/** A GET of one object: the object, or its one-row Table when the client asks for tables. */
function objectResponse(c: Ctx, obj: KubeObject): Response {
  const table = negotiateTable(c.req.header('accept'), c.req.query('includeObject'));
  return table ? tableResponse(objectTable(obj, table)) : c.json(obj);
}

/** Collection URLs: GET list or watch, POST create. */
export async function handleCollection(
  c: Ctx,
  route: CollectionRoute & { name?: string },
  deps: ApiDeps,
  maxBody: number,
): Promise<Response> {
  const { type, namespace, name } = route;
  const method = c.req.method;
  if (method === 'GET' || method === 'HEAD') {
    const q = c.req.query();
    const byName = name === undefined ? [] : [`metadata.name=${name}`];
    const fieldSelector = [...byName, ...(q.fieldSelector ? [q.fieldSelector] : [])].join(',') || undefined;
    const filter = { namespace, labelSelector: q.labelSelector, fieldSelector };
    const table = negotiateTable(c.req.header('accept'), q.includeObject);
    if (isTrue(q.watch)) {
      const allowWatchBookmarks = isTrue(q.allowWatchBookmarks);
      const timeout = parseSecondsParam('timeoutSeconds', q.timeoutSeconds);
      return watchResponse(
        deps.api,
        type,
        { ...filter, resourceVersion: q.resourceVersion, timeoutSeconds: timeout, allowWatchBookmarks },
        c.req.raw.signal,
        {
          bookmarkIntervalMs: deps.watchBookmarkIntervalMs ?? 30_000,
          logger: deps.logger,
          encoder: table ? new TableWatchEncoder(type.kind, table) : (deps.watchEncoder ?? new WatchEncoder()),
        },
      );
    }
    const list = await deps.api.list(type, {
      ...filter,
      ...listLimit(q.limit),
      ...(q.continue ? { continue: q.continue } : {}),
      ...(q.resourceVersion !== undefined ? { resourceVersion: q.resourceVersion } : {}),
      ...(q.resourceVersionMatch !== undefined ? { resourceVersionMatch: q.resourceVersionMatch } : {}),
    });
    const answer: ObjectList = {
      apiVersion: apiVersionOf(type),
      kind: `${type.kind}List`,
      metadata: {
        resourceVersion: list.resourceVersion,
        ...(list.continue !== undefined ? { continue: list.continue } : {}),
        ...(list.remainingItemCount !== undefined ? { remainingItemCount: list.remainingItemCount } : {}),
      },
      items: list.items,
    };
    return table ? tableResponse(listTable(answer, type.kind, table)) : listResponse(answer);
  }
  if (method === 'POST') {
    if (type.namespaced && namespace === undefined)
      throw new MethodNotAllowedError(
        `create ${type.plural} in a namespace: POST ${type.group === '' ? '/api' : `/apis/${type.group}`}/${type.version}/namespaces/{namespace}/${type.plural}`,
      );
    const body = applyFieldValidation(c, type, bindToUrl(type, await readObject(c, type, maxBody), namespace));
    return c.json(await deps.api.create(type, body, writeOptions(c)), 201);
  }
  throw new MethodNotAllowedError(`method ${method} is not supported on ${c.req.path}`);
}

/** Reads the current object, patches it and writes it back, retrying on a concurrent change. */
async function patchObject(
  c: Ctx,
  route: ObjectRoute,
  deps: ApiDeps,
  maxBody: number,
  write: (obj: unknown, opts: WriteOptions) => Promise<KubeObject>,
): Promise<Response> {
  const opts = writeOptions(c);
  const { kind, patch } = await readPatch(c, maxBody);
  if (kind === 'apply') {
    if (route.sub !== undefined) throw new MethodNotAllowedError(`server-side apply of ${route.sub} is not supported`);
    const applied = bindToUrl(route.type, patch, route.namespace, route.name) as KubeObject;
    const done = await serverSideApply(deps.api, route.type, route.namespace, applied, opts);
    return c.json(done.object, done.created ? 201 : 200);
  }
  for (let attempt = 0; ; attempt++) {
    const cur = await deps.api.get(route.type, route.namespace, route.name);
    const patched = applyPatch(kind, cur, patch, {}, patchMetaOf(route.type.kind));
    const bound = bindToUrl(route.type, patched, route.namespace, route.name);
    const body = applyFieldValidation(c, route.type, bound, 'patch') as KubeObject;
    const pinned =
      isObject(patched) &&
      isObject(patched.metadata) &&
      patched.metadata.resourceVersion !== cur.metadata.resourceVersion;
    try {
      return c.json(await write(body, opts));
    } catch (err) {
      // A patch that did not name a resourceVersion applies to whatever is current.
      if (!(err instanceof ConflictError) || pinned || attempt >= PATCH_RETRIES) throw err;
    }
  }
}

/** Object URLs and their subresources. */
export async function handleObject(c: Ctx, route: ObjectRoute, deps: ApiDeps, maxBody: number): Promise<Response> {
  const { type, namespace, name, sub } = route;
  const { api } = deps;
  const method = c.req.method;
  const unsupported = (): never => {
    throw new MethodNotAllowedError(`method ${method} is not supported on ${c.req.path}`);
  };
  const writeBody = (raw: unknown): unknown => applyFieldValidation(c, type, bindToUrl(type, raw, namespace, name));
  if (sub === undefined) {
    switch (method) {
      case 'HEAD':
      case 'GET':
        // `GET …/pods/a?watch=true`: a watch of that one object.
        if (isTrue(c.req.query('watch')))
          return handleCollection(c, { scope: 'collection', type, namespace, name }, deps, maxBody);
        return objectResponse(c, await api.get(type, namespace, name));
      case 'PUT':
        return c.json(await api.update(type, writeBody(await readObject(c, type, maxBody)), writeOptions(c)));
      case 'PATCH':
        return patchObject(c, route, deps, maxBody, (o, opts) => api.update(type, o, opts));
      case 'DELETE':
        return c.json(await api.delete(type, namespace, name, await deleteOptions(c, maxBody)));
      default:
        return unsupported();
    }
  }
  if (sub === 'status' && type.hasStatus) {
    switch (method) {
      case 'GET':
        return c.json(await api.get(type, namespace, name));
      case 'PUT':
        return c.json(await api.updateStatus(type, writeBody(await readJson(c, maxBody)), writeOptions(c)));
      case 'PATCH':
        return patchObject(c, route, deps, maxBody, (o, opts) => api.updateStatus(type, o, opts));
      default:
        return unsupported();
    }
  }
  if (sub === 'scale' && type.hasScale) {
    switch (method) {
      case 'GET':
        return c.json(toScale(await api.get(type, namespace, name)));
      case 'PUT':
        return c.json(
          await updateScale(api, type, namespace, name, parseScale(type, name, await readJson(c, maxBody))),
        );
      case 'PATCH': {
        const { kind, patch } = await readPatch(c, maxBody);
        return c.json(await patchScale(api, type, namespace, name, kind, patch));
      }
      default:
        return unsupported();
    }
  }
  if (sub === 'exec' && type.kind === 'Pod') {
    // kubectl's exec: an upgrade (authorised as `create pods/exec` whatever the method) run by ./streams.
    const slot = streamSlot(c);
    if (slot) {
      const query = new URL(c.req.url).searchParams;
      const headers = { upgrade: c.req.header('upgrade'), protocols: c.req.header('sec-websocket-protocol') };
      slot.plan = await execStreamPlan(api, namespace ?? 'default', name, query, headers);
      return c.body(null, 204);
    }
    // A write (it runs a command): POST only, as `create pods/exec` (see auth-middleware).
    if (method !== 'POST')
      throw new MethodNotAllowedError(`exec runs a command and is a write: use POST, not ${method}, on ${c.req.path}`);
    if (!deps.exec) throw new MethodNotAllowedError('exec is not available on this hub');
    return c.json(await execInPod(api, deps.exec, namespace ?? 'default', name, new URL(c.req.url).searchParams));
  }
  if (sub === 'attach' && type.kind === 'Pod') {
    // Only as a WebSocket upgrade (./streams); authorised as `create pods/attach`.
    const slot = streamSlot(c);
    if (!slot) throw new BadRequestError('attach is served only as a WebSocket upgrade (v5.channel.k8s.io)');
    const query = new URL(c.req.url).searchParams;
    const headers = { upgrade: c.req.header('upgrade'), protocols: c.req.header('sec-websocket-protocol') };
    slot.plan = await attachStreamPlan(api, namespace ?? 'default', name, query, headers);
    return c.body(null, 204);
  }
  if (sub === 'portforward' && type.kind === 'Pod') return portForwardRoute(c, api, namespace ?? 'default', name);
  if (sub === 'binding' && type.kind === 'Pod') {
    // Another scheduler's placement (`create pods/binding`); answered as Kubernetes does, 201 and a Status.
    if (method !== 'POST') unsupported();
    const binding = parseBinding(name, await readJson(c, maxBody));
    await bindPod(api, namespace ?? 'default', name, binding, writeOptions(c));
    return c.json(BINDING_CREATED, 201);
  }
  if (sub === 'log' && type.kind === 'Pod') {
    if (method !== 'GET') unsupported();
    const query = c.req.query();
    const window = logWindow(query, Date.now());
    return logResponse(api, deps.logs, namespace ?? 'default', name, logOptions(query), c.req.raw.signal, window);
  }
  throw new NotFoundError('', '', 'the server could not find the requested resource');
}
