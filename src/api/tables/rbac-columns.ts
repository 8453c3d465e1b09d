/**
 * `get` columns of Roles and bindings, as kubectl prints them: a role shows its creation time
 * (`CREATED AT`); a binding its role and, wide, its subjects by kind. Split from columns.ts.
 */
import type { KubeObject } from '../meta.js';
import type { RoleBinding } from '../rbac.js';
import { age } from './age.js';

const created = (o: KubeObject, now: number): string => age(o.metadata.creationTimestamp, now);

const ROLE = {
  headers: ['CREATED AT'],
  wideHeaders: [] as string[],
  named: true,
  cells: (o: KubeObject): string[] => [o.metadata.creationTimestamp ?? '<unknown>'],
  wideCells: (): string[] => [],
};

const BINDING = {
  headers: ['ROLE', 'AGE'],
  wideHeaders: ['USERS', 'GROUPS', 'SERVICEACCOUNTS'],
  named: true,
  cells: (o: KubeObject, now: number): string[] => {
    const b = o as RoleBinding;
    return [`${b.roleRef.kind}/${b.roleRef.name}`, created(o, now)];
  },
  wideCells: (o: KubeObject): string[] => {
    const subjects = (o as RoleBinding).subjects ?? [];
    const of = (kind: string): string =>
      subjects
        .filter((s) => s.kind === kind)
        .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
        .join(', ');
    return [of('User'), of('Group'), of('ServiceAccount')];
  },
};

/** The columns of the RBAC kinds (`KindColumns` of columns.ts, which spreads them in). */
export const RBAC_COLUMNS = {
  Role: ROLE,
  ClusterRole: ROLE,
  RoleBinding: BINDING,
  ClusterRoleBinding: BINDING,
};
