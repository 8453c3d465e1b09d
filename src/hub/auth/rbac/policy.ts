/**
 * The RBAC policy as the hub holds it: Roles, ClusterRoles and their bindings from informers, with
 * the bindings indexed by subject (`User:alice`, `Group:dev`, per namespace for RoleBindings), so
 * deciding a request visits only the bindings naming its user or groups, never every binding.
 * Level-triggered: the index follows the informers' events, whatever order they come in.
 */
import type {
  ClusterRole,
  ClusterRoleBinding,
  KubeObject,
  PolicyRule,
  Role,
  RoleBinding,
  RoleRef,
  Subject,
} from '../../../api/index.js';
import type { Informer } from '../../informers/index.js';

/** The four informers the policy reads. */
export interface RbacInformers {
  roles: Informer<Role>;
  clusterRoles: Informer<ClusterRole>;
  roleBindings: Informer<RoleBinding>;
  clusterRoleBindings: Informer<ClusterRoleBinding>;
}

/** Name and groups of the caller, as RBAC matches them. */
export interface UserInfo {
  name: string;
  groups: readonly string[];
}

/** Rules granted by one binding, and where they came from (for the reason of a decision). */
export interface GrantedRules {
  /** `RoleBinding "dev/x" of Role "r"`, as Kubernetes' reason names the source. */
  source: string;
  rules: readonly PolicyRule[];
}

/** Index keys of a subject; a ServiceAccount is the user `system:serviceaccount:<ns>:<name>`. */
function subjectKey(s: Subject, bindingNamespace: string | undefined): string {
  if (s.kind === 'ServiceAccount')
    return `User:system:serviceaccount:${s.namespace ?? bindingNamespace ?? ''}:${s.name}`;
  return `${s.kind}:${s.name}`;
}

/** Keys of the subjects `user` is: its name and each group. */
function userKeys(user: UserInfo): string[] {
  return [`User:${user.name}`, ...user.groups.map((g) => `Group:${g}`)];
}

/** A multimap of index key → binding keys, kept in step with one informer. */
class SubjectIndex<B extends RoleBinding | ClusterRoleBinding> {
  readonly #byKey = new Map<string, Set<string>>();

  constructor(
    informer: Informer<B>,
    private readonly keysOf: (b: B) => string[],
  ) {
    informer.addHandler({
      onAdd: (b) => this.#add(b),
      onUpdate: (old, b) => {
        this.#remove(old);
        this.#add(b);
      },
      onDelete: (b) => this.#remove(b),
    });
  }

  #bindingKey(b: B): string {
    return b.metadata.namespace ? `${b.metadata.namespace}/${b.metadata.name ?? ''}` : (b.metadata.name ?? '');
  }

  #add(b: B): void {
    for (const k of this.keysOf(b)) {
      let set = this.#byKey.get(k);
      if (!set) this.#byKey.set(k, (set = new Set()));
      set.add(this.#bindingKey(b));
    }
  }

  #remove(b: B): void {
    for (const k of this.keysOf(b)) {
      const set = this.#byKey.get(k);
      set?.delete(this.#bindingKey(b));
      if (set?.size === 0) this.#byKey.delete(k);
    }
  }

  /** Binding keys under `key`. */
  get(key: string): Iterable<string> {
    return this.#byKey.get(key) ?? [];
  }
}

/** Roles and bindings, indexed for lookups by subject. */
export class RbacPolicy {
  readonly #crbIndex: SubjectIndex<ClusterRoleBinding>;
  readonly #rbIndex: SubjectIndex<RoleBinding>;

  constructor(readonly informers: RbacInformers) {
    this.#crbIndex = new SubjectIndex(informers.clusterRoleBindings, (b) =>
      (b.subjects ?? []).map((s) => subjectKey(s, undefined)),
    );
    // RoleBindings are keyed by namespace too: a check in namespace N visits only N's bindings.
    this.#rbIndex = new SubjectIndex(informers.roleBindings, (b) =>
      (b.subjects ?? []).map((s) => `${b.metadata.namespace ?? ''}\0${subjectKey(s, b.metadata.namespace)}`),
    );
  }

  /** The rules a role reference grants, or undefined when the role does not exist (yet). */
  roleRules(ref: RoleRef, namespace: string | undefined): readonly PolicyRule[] | undefined {
    const role =
      ref.kind === 'ClusterRole'
        ? this.informers.clusterRoles.get(undefined, ref.name)
        : namespace === undefined
          ? undefined
          : this.informers.roles.get(namespace, ref.name);
    return role ? (role.rules ?? []) : undefined;
  }

  /**
   * Every set of rules granted to `user` where `namespace` applies: ClusterRoleBindings always,
   * RoleBindings of `namespace` when it is given (a cluster-scoped request sees only cluster bindings).
   */
  *rulesFor(user: UserInfo, namespace: string | undefined): Generator<GrantedRules> {
    const keys = userKeys(user);
    const seen = new Set<string>();
    for (const key of keys)
      for (const name of this.#crbIndex.get(key)) {
        if (seen.has(name)) continue;
        seen.add(name);
        const b = this.informers.clusterRoleBindings.get(undefined, name);
        const rules = b && this.roleRules(b.roleRef, undefined);
        if (b && rules) yield { source: `ClusterRoleBinding "${name}" of ClusterRole "${b.roleRef.name}"`, rules };
      }
    if (namespace === undefined || namespace === '') return;
    for (const key of keys)
      for (const nsName of this.#rbIndex.get(`${namespace}\0${key}`)) {
        if (seen.has(nsName)) continue;
        seen.add(nsName);
        const b = this.informers.roleBindings.getByKey(nsName);
        const rules = b && this.roleRules(b.roleRef, namespace);
        if (b && rules)
          yield {
            source: `RoleBinding "${b.metadata.name ?? ''}" of ${b.roleRef.kind} "${b.roleRef.name}"`,
            rules,
          };
      }
  }

  /**
   * Feeds an object this hub just wrote into the caches before its watch event arrives, so the
   * writer's next request sees its own grant (the informers' write-through).
   */
  observe(obj: KubeObject, deleted = false): void {
    const inf = this.#informerOf(obj.kind);
    inf?.observe(obj, deleted);
  }

  #informerOf(kind: string): Informer | undefined {
    const byKind: Record<string, Informer | undefined> = {
      Role: this.informers.roles,
      ClusterRole: this.informers.clusterRoles,
      RoleBinding: this.informers.roleBindings,
      ClusterRoleBinding: this.informers.clusterRoleBindings,
    };
    return byKind[kind];
  }
}
