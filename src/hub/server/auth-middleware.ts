/**
 * Authentication and authorisation of API requests: a valid bearer token, then the request's
 * attributes (verb, resource, subresource, namespace, name) put to an `Authorizer`.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { BLOB_PATH, ForbiddenError, UnauthorizedError } from '../../api/index.js';
import {
  forbiddenMessage,
  impersonate,
  type Authorizer,
  type HeaderValues,
  type RequestAttributes,
  type TokenAuth,
  type Verb,
} from '../auth/index.js';
import type { CertificateAuthenticator } from '../identity/index.js';
import { peerSocket } from './peer-socket.js';
import { parseResourcePath } from './resource-path.js';
import type { ApiEnv } from './types.js';

/** Subresources that act on the workload whatever the HTTP method: always `create`, as in Kubernetes RBAC. */
const ACTION_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'proxy']);

function methodVerb(method: string, collection: boolean, watch: boolean): Verb {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return watch ? 'watch' : collection ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return collection ? 'deletecollection' : 'delete';
    default:
      // An unknown method is a write as far as authorisation goes; the route answers 405.
      return 'update';
  }
}

/** What a request asks to do, in the authorizer's terms. */
export function requestAttributes(method: string, path: string, query: URLSearchParams): RequestAttributes {
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  const nonResource = (): RequestAttributes => ({ kind: 'nonResource', verb: methodVerb(method, false, false), path });
  if (path === BLOB_PATH || path.startsWith(`${BLOB_PATH}/`)) return nonResource();
  let route;
  try {
    route = parseResourcePath(path);
  } catch {
    // Not a kind the registry serves (an access review, or a typo): named from the URL alone, as
    // Kubernetes' RequestInfo does, so RBAC decides it like any resource; the route answers 404 if it must.
    return syntacticAttributes(method, path, watch) ?? nonResource();
  }
  if (!route || route.scope === 'groupVersion') return nonResource();
  const base = {
    kind: 'resource' as const,
    group: route.type.group,
    resource: route.type.plural,
    ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
  };
  if (route.scope === 'collection') return { ...base, verb: methodVerb(method, true, watch) };
  const sub = route.sub;
  const verb = sub !== undefined && ACTION_SUBRESOURCES.has(sub) ? 'create' : methodVerb(method, false, watch);
  return { ...base, verb, name: route.name, ...(sub !== undefined ? { subresource: sub } : {}) };
}

/** A resource URL's attributes from its segments alone (`/apis/{g}/{v}[/namespaces/{ns}]/{res}[/{name}[/{sub}]]`). */
function syntacticAttributes(method: string, path: string, watch: boolean): RequestAttributes | undefined {
  const parts = path.split('/').filter((s) => s !== '');
  let group: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) [group, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [group, rest] = [parts[1] ?? '', parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [resource = '', name, subresource, ...extra] = rest;
  // What follows `proxy` is the proxied path (`nodes/{name}/proxy/metrics`), as Kubernetes' RequestInfo reads it.
  if (extra.length > 0 && subresource !== 'proxy') return undefined;
  let decoded: string[];
  try {
    decoded = [resource, name ?? '', subresource ?? '', namespace ?? ''].map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const [res = '', nm = '', sub = '', ns = ''] = decoded;
  return {
    kind: 'resource',
    verb: methodVerb(method, name === undefined, watch),
    group,
    resource: res,
    ...(namespace !== undefined ? { namespace: ns } : {}),
    ...(name !== undefined ? { name: nm } : {}),
    ...(subresource !== undefined ? { subresource: sub } : {}),
  };
}

/**
 * The request's `Impersonate-*` headers, each with every value it was sent with. kubectl sends one
 * header line per group; Node keeps them apart (`headersDistinct`), where Fetch headers would join
 * them with ", " (only under `app.request()`, where they are split back).
 */
function impersonationHeaders(c: Context<ApiEnv>): HeaderValues {
  const out = new Map<string, string[]>();
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming?.headersDistinct) {
    for (const [name, values] of Object.entries(incoming.headersDistinct))
      if (name.startsWith('impersonate-') && values) out.set(name, values);
    return out;
  }
  c.req.raw.headers.forEach((value, name) => {
    if (name.startsWith('impersonate-'))
      out.set(
        name,
        value.split(',').map((v) => v.trim()),
      );
  });
  return out;
}

/**
 * Requires a verified client certificate (when `certificates` is given) or a valid bearer token, and
 * a principal the authorizer lets do what the request asks: the caller, or the user it impersonates
 * (`Impersonate-*` headers, each authorised for the caller first, as kube-apiserver does). A node
 * certificate whose key is no longer bound (its Node deleted) gets 401 whatever else it carries.
 */
export function requireAuth(
  auth: Pick<TokenAuth, 'verify'>,
  authorize: Authorizer,
  certificates?: Pick<CertificateAuthenticator, 'authenticate'>,
): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const byCert = certificates ? await certificates.authenticate(peerSocket(c)) : { kind: 'none' as const };
    if (byCert.kind === 'revoked') throw new UnauthorizedError();
    // The scheme is case-insensitive (RFC 7235); the token itself is not.
    const token = /^bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const caller =
      byCert.kind === 'authenticated' ? byCert.principal : token === undefined ? undefined : auth.verify(token);
    if (!caller) throw new UnauthorizedError();
    const principal = impersonate(caller, impersonationHeaders(c), authorize);
    const what = requestAttributes(c.req.method, c.req.path, new URL(c.req.url).searchParams);
    const decision = authorize(principal, what);
    if (!decision.allowed) throw new ForbiddenError(forbiddenMessage(principal, what, decision.reason));
    c.set('principal', principal);
    await next();
  };
}
