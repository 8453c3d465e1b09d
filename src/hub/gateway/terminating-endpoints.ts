/**
 * Terminating endpoints (EndpointSlice's `serving`/`terminating` conditions, kube-proxy's KEP-1669):
 * v1 Endpoints cannot say "terminating" — a pod leaves them the moment it is being deleted — so the
 * gateway reads the pods being deleted itself. A Service's route lists each of its pods that is being
 * deleted and still runs on a node, with `serving` telling whether it is still Ready; nodes send it
 * traffic only while the Service has no ready endpoint (a one-replica rolling update).
 */
import type { Node, Pod, RouteEndpoint, Service } from '../../api/index.js';
import { fromMatchLabels, isPodReady, matchesLabels, nodeAddress } from '../../api/index.js';
import type { Informer } from '../informers/index.js';

/** Index of pods being deleted on a node, by namespace. */
const TERMINATING_BY_NAMESPACE = 'terminating-by-namespace';

/** The pods being deleted, found by namespace, and the Services a change of one of them concerns. */
export class TerminatingPods {
  constructor(
    private readonly pods: Informer<Pod>,
    private readonly services: Informer<Service>,
  ) {
    pods.addIndex(TERMINATING_BY_NAMESPACE, (obj) => {
      const p = obj as Pod;
      return p.metadata.deletionTimestamp !== undefined && p.spec.nodeName ? [p.metadata.namespace ?? 'default'] : [];
    });
  }

  /** Pods of `namespace` being deleted that are bound to a node. */
  inNamespace(namespace: string): Pod[] {
    return this.pods.byIndex(TERMINATING_BY_NAMESPACE, namespace);
  }

  /**
   * The Services (`namespace`, `name`) whose routes a pod change touches: only a pod being deleted
   * (before or after the change) is news here; the Endpoints carry every other change.
   */
  servicesOf(old: Pod | undefined, pod: Pod | undefined): Array<[string, string]> {
    const ending = [old, pod].filter((p): p is Pod => p?.metadata.deletionTimestamp !== undefined);
    const first = ending[0];
    if (!first) return [];
    const ns = first.metadata.namespace ?? 'default';
    const out: Array<[string, string]> = [];
    for (const svc of this.services.list((s) => (s.metadata.namespace ?? 'default') === ns && !!s.spec.selector)) {
      const sel = fromMatchLabels(svc.spec.selector);
      if (ending.some((p) => matchesLabels(sel, p.metadata.labels))) out.push([ns, svc.metadata.name ?? '']);
    }
    return out;
  }
}

/**
 * The terminating endpoints of `svc`: its pods being deleted (not already among `known` uids, which
 * the Endpoints still list) on a node with an address and a mesh port.
 */
export function terminatingEndpoints(
  svc: Service,
  pods: TerminatingPods,
  nodes: Informer<Node>,
  known: ReadonlySet<string>,
  zoneOf: (node: Node | undefined) => string | undefined,
): RouteEndpoint[] {
  if (!svc.spec.selector) return [];
  const ns = svc.metadata.namespace ?? 'default';
  const sel = fromMatchLabels(svc.spec.selector);
  const out: RouteEndpoint[] = [];
  for (const pod of pods.inNamespace(ns)) {
    const uid = pod.metadata.uid;
    if (!uid || known.has(uid) || !matchesLabels(sel, pod.metadata.labels)) continue;
    if (pod.status?.phase !== 'Running') continue;
    const node = nodes.get(undefined, pod.spec.nodeName ?? '');
    const address = node ? nodeAddress(node) : undefined;
    const meshPort = node?.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    if (!node || !address || meshPort === undefined) continue;
    const zone = zoneOf(node);
    out.push({
      pod: { namespace: ns, name: pod.metadata.name ?? '', uid },
      nodeName: pod.spec.nodeName!,
      address,
      meshPort,
      ...(zone ? { zone } : {}),
      ready: false,
      serving: isPodReady(pod),
      terminating: true,
    });
  }
  // Code-unit order, as the Endpoints controller sorts: the same set gives the same route.
  return out.sort((a, b) => (a.pod.name < b.pod.name ? -1 : 1));
}
