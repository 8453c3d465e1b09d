/**
 * Who is calling, once authenticated. Users carry a name and groups as Kubernetes' `user.Info` does
 * (RBAC matches both); nodes keep a policy of their own; bootstrap tokens may only join.
 */

/** Every authenticated user is in this group (Kubernetes' `system:authenticated`). */
export const GROUP_AUTHENTICATED = 'system:authenticated';
/** Members may do anything: the built-in `cluster-admin` ClusterRole is bound to this group. */
export const GROUP_MASTERS = 'system:masters';
/** Holders of a bootstrap token (Kubernetes' `system:bootstrappers`). */
export const GROUP_BOOTSTRAPPERS = 'system:bootstrappers';
/** The group `role: read-only` of `tokens.json` maps to; bound to the built-in `view` ClusterRole. */
export const GROUP_READ_ONLY = 'edgeplane:read-only';

/** The authenticated caller. */
export type Principal =
  | {
      kind: 'user';
      name: string;
      groups: readonly string[];
      /** Set only by impersonation (`Impersonate-Uid`); RBAC does not read it. */
      uid?: string;
      /** Set only by impersonation (`Impersonate-Extra-<key>`); RBAC does not read it. */
      extra?: Readonly<Record<string, readonly string[]>>;
    }
  /** A node, by its certificate (`CN=system:node:<name>`, `O=system:nodes`). */
  | { kind: 'node'; name?: string }
  /** A bootstrap token (`auth.edgeplane.io/v1 Token` with usage `bootstrap`): may join a node, little else. */
  | { kind: 'bootstrap'; tokenId: string };

/** A user principal; every user is in `system:authenticated`, whatever else it is in. */
export function userPrincipal(name: string, groups: readonly string[] = []): Principal {
  const all = [...new Set([...groups, GROUP_AUTHENTICATED])];
  return { kind: 'user', name, groups: all };
}

/** Name and groups as RBAC sees them, or undefined for a node (which has a policy of its own). */
export function userInfoOf(p: Principal): { name: string; groups: readonly string[] } | undefined {
  switch (p.kind) {
    case 'user':
      return p;
    case 'bootstrap':
      return { name: `system:bootstrap:${p.tokenId}`, groups: [GROUP_BOOTSTRAPPERS, GROUP_AUTHENTICATED] };
    case 'node':
      return undefined;
  }
}

/** The user name a refusal names (a node as Kubernetes names it: `system:node:<name>`). */
export function principalName(p: Principal): string {
  if (p.kind === 'node') return p.name === undefined ? 'system:node' : `system:node:${p.name}`;
  return userInfoOf(p)?.name ?? 'system:node';
}
