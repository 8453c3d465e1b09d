/**
 * Impersonation, as kube-apiserver's `WithImpersonation` filter: a caller acts as another user with
 * the `Impersonate-User`, `Impersonate-Group`, `Impersonate-Uid` and `Impersonate-Extra-<key>`
 * headers (kubectl's `--as`, `--as-group`, `--as-uid`), and each thing it asks to be is first put to
 * the authorizer as verb `impersonate` on `users`, `groups`, `serviceaccounts` (core group) or
 * `uids`, `userextras/<key>` (`authentication.k8s.io`), named by the value. Any refusal refuses the
 * request; once every one is allowed the request is decided, and served, as the impersonated user.
 */
import { BadRequestError, ForbiddenError } from '../../api/index.js';
import { forbiddenMessage, type Authorizer, type RequestAttributes } from './authorize.js';
import { GROUP_AUTHENTICATED, type Principal } from './principal.js';

/** The header names, lower-cased as Node and Fetch give them. */
export const IMPERSONATE_USER = 'impersonate-user';
export const IMPERSONATE_GROUP = 'impersonate-group';
export const IMPERSONATE_UID = 'impersonate-uid';
export const IMPERSONATE_EXTRA_PREFIX = 'impersonate-extra-';

/** The group `uids` and `userextras` are authorised in. */
const AUTHENTICATION_GROUP = 'authentication.k8s.io';
const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
const GROUP_UNAUTHENTICATED = 'system:unauthenticated';
const USER_ANONYMOUS = 'system:anonymous';

/** A request's headers, each name lower-cased with every value it was sent with (one per header line). */
export type HeaderValues = ReadonlyMap<string, readonly string[]>;

/** One thing the caller asks to be, as the attributes it is authorised by. */
type Ask = RequestAttributes & { kind: 'resource' };

/** `system:serviceaccount:<ns>:<name>` split, as Kubernetes' `serviceaccount.SplitUsername`. */
function splitServiceAccount(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SERVICE_ACCOUNT_PREFIX)) return undefined;
  const parts = user.slice(SERVICE_ACCOUNT_PREFIX.length).split(':');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') return undefined;
  return { namespace: parts[0]!, name: parts[1]! };
}

/** An extra's key from its header name: lower-cased, then percent-decoded (keys may hold `/`, as `scopes.example.com/x`). */
function extraKey(suffix: string): string {
  try {
    return decodeURIComponent(suffix.toLowerCase());
  } catch {
    return suffix.toLowerCase();
  }
}

const ask = (group: string, resource: string, name: string, more: Partial<Ask> = {}): Ask => ({
  kind: 'resource',
  verb: 'impersonate',
  group,
  resource,
  name,
  ...more,
});

/** Whether the request asks to impersonate anyone (any `Impersonate-*` header). */
export function asksImpersonation(headers: HeaderValues): boolean {
  for (const name of headers.keys()) if (name.startsWith('impersonate-')) return true;
  return false;
}

/**
 * The principal a request acts as: `caller` itself without `Impersonate-*` headers, else the
 * impersonated user once the authorizer lets `caller` be each thing asked for. Throws
 * `BadRequestError` for groups, a uid or extras without a user, `ForbiddenError` (worded as
 * Kubernetes words it: `users "ann" is forbidden: User "bob" cannot impersonate resource "users" …`)
 * for the first thing refused.
 */
export function impersonate(caller: Principal, headers: HeaderValues, authorize: Authorizer): Principal {
  if (!asksImpersonation(headers)) return caller;
  const first = (name: string): string => headers.get(name)?.find((v) => v !== '') ?? '';
  const user = first(IMPERSONATE_USER);
  const groupsAsked = (headers.get(IMPERSONATE_GROUP) ?? []).filter((g) => g !== '');
  const uid = first(IMPERSONATE_UID);
  const extras = [...headers.entries()].filter(([n]) => n.startsWith(IMPERSONATE_EXTRA_PREFIX));
  const unknown = [...headers.keys()].filter(
    (n) =>
      n.startsWith('impersonate-') &&
      n !== IMPERSONATE_USER &&
      n !== IMPERSONATE_GROUP &&
      n !== IMPERSONATE_UID &&
      !n.startsWith(IMPERSONATE_EXTRA_PREFIX),
  );
  if (unknown.length > 0) throw new BadRequestError(`unknown impersonation header(s) ${unknown.sort().join(', ')}`);
  if (user === '') {
    if (groupsAsked.length === 0 && uid === '' && extras.length === 0) return caller;
    // Kubernetes refuses this too (with a 500, its InternalError); a 400 says whose mistake it is.
    throw new BadRequestError('requested impersonation of groups, a uid or extras without impersonating a user');
  }

  const asks: Ask[] = [];
  const sa = splitServiceAccount(user);
  // A service account's groups are a fixed mapping, used when no group is asked for.
  let groups: string[] = [];
  if (sa) {
    asks.push(ask('', 'serviceaccounts', sa.name, { namespace: sa.namespace }));
    if (groupsAsked.length === 0) groups = ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`];
  } else asks.push(ask('', 'users', user));
  for (const g of groupsAsked) {
    asks.push(ask('', 'groups', g));
    groups.push(g);
  }
  const extra: Record<string, string[]> = {};
  for (const [header, values] of extras) {
    const key = extraKey(header.slice(IMPERSONATE_EXTRA_PREFIX.length));
    for (const v of values) {
      asks.push(ask(AUTHENTICATION_GROUP, 'userextras', v, { subresource: key }));
      (extra[key] ??= []).push(v);
    }
  }
  if (uid !== '') asks.push(ask(AUTHENTICATION_GROUP, 'uids', uid));

  for (const attributes of asks) {
    const decision = authorize(caller, attributes);
    if (!decision.allowed) throw new ForbiddenError(forbiddenMessage(caller, attributes, decision.reason));
  }

  // As Kubernetes: a named user is in system:authenticated unless system:(un)authenticated was asked for;
  // anonymous is in system:unauthenticated.
  if (user === USER_ANONYMOUS) {
    if (!groups.includes(GROUP_UNAUTHENTICATED)) groups.push(GROUP_UNAUTHENTICATED);
  } else if (!groups.includes(GROUP_AUTHENTICATED) && !groups.includes(GROUP_UNAUTHENTICATED))
    groups.push(GROUP_AUTHENTICATED);
  return {
    kind: 'user',
    name: user,
    groups: [...new Set(groups)],
    ...(uid !== '' ? { uid } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}
