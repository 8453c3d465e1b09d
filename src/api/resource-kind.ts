/**
 * What one served kind's names are (`ResourceKind`), the API groups, and the lookups over a list of
 * kinds (by apiVersion + kind, by URL plural, by any name a user types) and its URL paths. Split from
 * `kinds.ts`, which holds the list itself and re-exports all of this.
 */

/** The RBAC API group. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';
/** Edgeplane's token API group. */
export const TOKEN_GROUP = 'auth.edgeplane.io';
/** The Gateway API's group (GatewayClass, Gateway, HTTPRoute, ReferenceGrant). */
export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
/** Flagger's API group (Canary). */
export const CANARY_GROUP = 'flagger.app';

/** The names of one served kind: everything about it but its zod type. */
export interface ResourceKind {
  /** API group: '' for the core group (`/api/v1`), else e.g. `apps` (`/apis/apps/v1`). */
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural used in URLs (`pods`, `deployments`). */
  plural: string;
  singular: string;
  /** kubectl-style short names (`po`, `deploy`, `svc`). */
  shortNames: readonly string[];
  namespaced: boolean;
  /** Whether the kind has a `/status` subresource (status is then ignored on main-resource writes). */
  hasStatus: boolean;
  /** Whether the kind has a `/scale` subresource. */
  hasScale: boolean;
}

/** `apps/v1` or `v1`. */
export function apiVersionOf(t: Pick<ResourceKind, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** The kind of `apiVersion` + `kind` (`apps/v1`, `Deployment`) in `list`. */
export function findByKind<T extends ResourceKind>(
  list: readonly T[],
  apiVersion: string,
  kind: string,
): T | undefined {
  return list.find((t) => t.kind === kind && apiVersionOf(t) === apiVersion);
}

/** The kind of URL group/version/plural in `list`. */
export function findByPlural<T extends ResourceKind>(
  list: readonly T[],
  group: string,
  version: string,
  plural: string,
): T | undefined {
  return list.find((t) => t.group === group && t.version === version && t.plural === plural);
}

/** The kind in `list` of any name a user may type: plural, singular, short name or Kind (case-insensitive). */
export function findByName<T extends ResourceKind>(list: readonly T[], name: string): T | undefined {
  const n = name.toLowerCase();
  // `httproutes.gateway.networking.k8s.io`: the group is everything after the first dot.
  const dot = n.indexOf('.');
  const base = dot < 0 ? n : n.slice(0, dot);
  const group = dot < 0 ? undefined : n.slice(dot + 1);
  return list.find(
    (t) =>
      (group === undefined || t.group === group) &&
      (t.plural === base || t.singular === base || t.kind.toLowerCase() === base || t.shortNames.includes(base)),
  );
}

/** The URL of a collection or object: `/apis/apps/v1/namespaces/default/deployments/web`. */
export function resourcePath(t: ResourceKind, namespace?: string, name?: string, sub?: string): string {
  const root = t.group === '' ? `/api/${t.version}` : `/apis/${t.group}/${t.version}`;
  const ns = t.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  const subPath = sub === undefined ? '' : `/${sub}`;
  return `${root}${ns}/${t.plural}${obj}${subPath}`;
}
