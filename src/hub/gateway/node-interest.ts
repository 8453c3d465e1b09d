/**
 * Which namespaces' Services each node needs. A node serves every NodePort Service (that is decided
 * by the Service stream, not here); its pods call ClusterIP Services of their own namespace by bare
 * name, and those of other namespaces only when a pod names them in the annotation
 * `edgeplane.io/service-namespaces` (comma-separated namespaces, or `*` for all). So a node is sent
 * the Services of the namespaces its pods live in or name: an endpoint flip in a namespace a node has
 * nothing to do with costs it nothing. Counts per node and namespace are kept from the pod informer,
 * so a pod event costs O(its namespaces), never a scan.
 */
import type { Pod } from '../../api/index.js';

/** Pod annotation naming further namespaces whose Services the pod calls (`a,b` or `*`). */
export const SERVICE_NAMESPACES_ANNOTATION = 'edgeplane.io/service-namespaces';
/** The namespace entry that stands for every namespace. */
export const ALL_NAMESPACES = '*';
/** Namespaces one pod may name (more are ignored). */
const MAX_NAMED_NAMESPACES = 32;

/** A node's interest in one namespace appeared or went. */
export interface InterestChange {
  node: string;
  namespace: string;
  gained: boolean;
}

/** The namespaces a pod's node needs Services of: its own and those it names. */
export function podNamespaces(pod: Pod): string[] {
  const own = pod.metadata.namespace ?? 'default';
  const named = pod.metadata.annotations?.[SERVICE_NAMESPACES_ANNOTATION];
  if (!named) return [own];
  const extra = named
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && s.length <= 253)
    .slice(0, MAX_NAMED_NAMESPACES);
  return [...new Set([own, ...extra])];
}

/** Per-node namespace interest, kept from the pods bound to each node. */
export class NodeInterest {
  /** node → namespace (or `*`) → pods bound there that need it. */
  readonly #counts = new Map<string, Map<string, number>>();
  /** namespace (or `*`) → nodes interested. */
  readonly #nodes = new Map<string, Set<string>>();

  /** Follows one pod event (add: `old` undefined; delete: `pod` undefined); returns what changed. */
  podChanged(old: Pod | undefined, pod: Pod | undefined): InterestChange[] {
    const changes: InterestChange[] = [];
    const before = old?.spec.nodeName ? { node: old.spec.nodeName, ns: podNamespaces(old) } : undefined;
    const after = pod?.spec.nodeName ? { node: pod.spec.nodeName, ns: podNamespaces(pod) } : undefined;
    if (before && after && before.node === after.node && sameList(before.ns, after.ns)) return changes;
    if (after) for (const ns of after.ns) this.#add(after.node, ns, 1, changes);
    if (before) for (const ns of before.ns) this.#add(before.node, ns, -1, changes);
    return changes;
  }

  /** True when `node` needs the Services of `namespace`. */
  wants(node: string, namespace: string): boolean {
    const counts = this.#counts.get(node);
    return counts !== undefined && (counts.has(namespace) || counts.has(ALL_NAMESPACES));
  }

  /** True when a pod on `node` named every namespace (`*`). */
  wantsAll(node: string): boolean {
    return this.#counts.get(node)?.has(ALL_NAMESPACES) ?? false;
  }

  /** The namespaces `node` needs (`*` included when a pod named it). */
  namespacesOf(node: string): ReadonlySet<string> {
    return new Set(this.#counts.get(node)?.keys() ?? []);
  }

  /** The nodes that need the Services of `namespace` (those interested in every namespace included). */
  nodesFor(namespace: string): Set<string> {
    const out = new Set(this.#nodes.get(namespace) ?? []);
    for (const n of this.#nodes.get(ALL_NAMESPACES) ?? []) out.add(n);
    return out;
  }

  #add(node: string, ns: string, delta: number, changes: InterestChange[]): void {
    let counts = this.#counts.get(node);
    if (!counts) this.#counts.set(node, (counts = new Map<string, number>()));
    const next = (counts.get(ns) ?? 0) + delta;
    if (next > 0) {
      if (!counts.has(ns)) {
        let set = this.#nodes.get(ns);
        if (!set) this.#nodes.set(ns, (set = new Set()));
        set.add(node);
        changes.push({ node, namespace: ns, gained: true });
      }
      counts.set(ns, next);
      return;
    }
    if (!counts.has(ns)) return;
    counts.delete(ns);
    if (counts.size === 0) this.#counts.delete(node);
    const set = this.#nodes.get(ns);
    set?.delete(node);
    if (set?.size === 0) this.#nodes.delete(ns);
    changes.push({ node, namespace: ns, gained: false });
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
