/**
 * Authorisation: may this principal do this verb on this resource? One small seam, shaped like
 * Kubernetes' authorizer attributes (verb, API group, resource, subresource, namespace, name, or a
 * non-resource path), so the RBAC issue can put Roles and bindings behind it without touching the
 * routes. Today's policy, by role: `admin` may do anything; `read-only` may get, list and watch;
 * node credentials may only read blobs (the gateway authenticates their WebSocket itself).
 */
import { BLOB_PATH } from '../../api/index.js';
import type { Principal } from './token-auth.js';

/** Kubernetes request verbs (`exec` is `create` on `pods/exec`, as in Kubernetes RBAC). */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** What a request asks to do. */
export type RequestAttributes =
  | {
      kind: 'resource';
      verb: Verb;
      group: string;
      resource: string;
      subresource?: string;
      namespace?: string;
      name?: string;
    }
  | { kind: 'nonResource'; verb: Verb; path: string };

/** The answer: allowed, or refused with a reason fit for a 403 message. */
export type Decision = { allowed: true } | { allowed: false; reason: string };

/** Decides requests; the RBAC issue replaces the default with one reading Roles and bindings. */
export type Authorizer = (who: Principal, what: RequestAttributes) => Decision;

const READ_VERBS: ReadonlySet<Verb> = new Set(['get', 'list', 'watch']);

/** The verbs that change nothing. A subresource like exec is `create` whatever the HTTP method. */
export function isReadVerb(verb: Verb): boolean {
  return READ_VERBS.has(verb);
}

/** `pods/exec` in a namespace, or a path: how a request is named in a refusal. */
export function describeRequest(what: RequestAttributes): string {
  if (what.kind === 'nonResource') return `${what.verb} ${what.path}`;
  const res = `${what.group === '' ? '' : `${what.group}/`}${what.resource}${what.subresource ? `/${what.subresource}` : ''}`;
  return `${what.verb} ${res}${what.name ? ` "${what.name}"` : ''}${what.namespace ? ` in namespace "${what.namespace}"` : ''}`;
}

/** Today's role-based policy (see the file comment). */
export const roleAuthorizer: Authorizer = (who, what) => {
  if (who.kind === 'node') {
    if (what.kind === 'nonResource' && what.verb === 'get' && what.path.startsWith(`${BLOB_PATH}/`))
      return { allowed: true };
    return { allowed: false, reason: `node credentials may not ${describeRequest(what)}` };
  }
  if (who.role === 'admin') return { allowed: true };
  if (isReadVerb(what.verb)) return { allowed: true };
  return { allowed: false, reason: `user "${who.name}" (${who.role}) may not ${describeRequest(what)}` };
};
