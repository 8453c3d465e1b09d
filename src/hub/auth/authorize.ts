/**
 * Authorisation: may this principal do this verb on this resource? One small seam, shaped like
 * Kubernetes' authorizer attributes (verb, API group, resource, subresource, namespace, name, or a
 * non-resource path). Users and bootstrap tokens are decided by RBAC (`rbac/`); node credentials by
 * `nodeAuthorizer` until nodes have identities of their own (node restriction replaces it).
 */
import { BLOB_PATH } from '../../api/index.js';
import { GROUP_MASTERS, principalName, type Principal } from './principal.js';

/** Kubernetes request verbs (`exec` is `create` on `pods/exec`, as in Kubernetes RBAC). */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/**
 * What a request asks to do. `verb` is a string: besides the request verbs, RBAC knows verbs no HTTP
 * method maps to (`bind`, `escalate`, `impersonate`), which access reviews may ask about.
 */
export type RequestAttributes =
  | {
      kind: 'resource';
      verb: string;
      group: string;
      resource: string;
      subresource?: string;
      namespace?: string;
      name?: string;
    }
  | { kind: 'nonResource'; verb: string; path: string };

/** The answer: allowed, or refused; `reason` (maybe empty) says why, as Kubernetes' authorizers do. */
export type Decision = { allowed: true; reason?: string } | { allowed: false; reason: string };

/** Decides requests. */
export type Authorizer = (who: Principal, what: RequestAttributes) => Decision;

const READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);

/** The verbs that change nothing. A subresource like exec is `create` whatever the HTTP method. */
export function isReadVerb(verb: string): boolean {
  return READ_VERBS.has(verb);
}

/**
 * The message of a 403, worded as Kubernetes' `forbiddenMessage` and `NewForbidden`:
 * `pods "x" is forbidden: User "alice" cannot create resource "pods/exec" in API group "" in the namespace "default"`.
 */
export function forbiddenMessage(who: Principal, what: RequestAttributes, reason: string): string {
  const user = JSON.stringify(principalName(who));
  const why = reason === '' ? '' : `: ${reason}`;
  if (what.kind === 'nonResource')
    return `forbidden: User ${user} cannot ${what.verb} path ${JSON.stringify(what.path)}${why}`;
  const resource = what.subresource ? `${what.resource}/${what.subresource}` : what.resource;
  const scope =
    what.namespace !== undefined && what.namespace !== ''
      ? `in the namespace ${JSON.stringify(what.namespace)}`
      : 'at the cluster scope';
  const qualified = what.group === '' ? what.resource : `${what.resource}.${what.group}`;
  const object = what.name ? `${qualified} ${JSON.stringify(what.name)}` : qualified;
  return `${object} is forbidden: User ${user} cannot ${what.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(what.group)} ${scope}${why}`;
}

/**
 * The policy of node credentials (the shared join token): read blobs, nothing else through the API;
 * the gateway authenticates their WebSocket itself. Per-node identity and node restriction replace it.
 */
export const nodeAuthorizer = (what: RequestAttributes): Decision => {
  if (what.kind === 'nonResource' && what.verb === 'get' && what.path.startsWith(`${BLOB_PATH}/`))
    return { allowed: true };
  return { allowed: false, reason: 'node credentials may only read blobs' };
};

/**
 * For API apps built without RBAC (tests of other concerns): `system:masters` users may do anything,
 * node credentials keep their policy, everyone else is refused. Never more than RBAC would allow.
 */
export const mastersOnlyAuthorizer: Authorizer = (who, what) => {
  if (who.kind === 'node') return nodeAuthorizer(what);
  if (who.kind === 'user' && who.groups.includes(GROUP_MASTERS)) return { allowed: true };
  return { allowed: false, reason: 'no authorizer but system:masters is configured' };
};
