/**
 * What the node gateway hears from its informers, and whom it tells: a pod change goes to the Service
 * stream (the namespaces a node needs, and the routes a pod being deleted is a terminating endpoint
 * of), to config delivery and to pod delivery; a Node change to the Service stream and to pod
 * delivery (a node Ready again on its open session reports its pods again), or, deleted, to the
 * revocation of its session; a Service or Endpoints change to the Service stream.
 */
import type { Node, Pod, Service } from '../../api/index.js';
import type { ConfigDelivery } from './config-delivery.js';
import type { NodeGatewayDeps } from './gateway-deps.js';
import type { NodeInterest } from './node-interest.js';
import type { PodDelivery } from './pod-delivery.js';
import type { ServiceStream } from './service-stream.js';
import type { TerminatingPods } from './terminating-endpoints.js';
import { WakeableServices } from './wakeable-services.js';

/** The parts of the gateway its informer handlers feed. */
export interface GatewayFeeds {
  interest: NodeInterest;
  services: () => ServiceStream;
  terminating: TerminatingPods;
  config: ConfigDelivery | undefined;
  pods: PodDelivery;
  /** A Node was deleted: its credential is revoked. */
  revoke(node: string): void;
}

/** Registers the gateway's handlers on its informers. */
export function feedGateway(deps: NodeGatewayDeps, f: GatewayFeeds): void {
  const podChanged = (old: Pod | undefined, pod: Pod | undefined): void => {
    for (const [ns, name] of f.terminating.servicesOf(old, pod)) f.services().serviceChanged(ns, name);
  };
  // The Services a pod's node needs go out before the pod, so its first call finds them; so does its config.
  deps.pods.addHandler({
    onAdd: (p) => {
      f.services().interestChanged(f.interest.podChanged(undefined, p));
      f.config?.podChanged(p);
      f.pods.changed(undefined, p);
    },
    onUpdate: (o, p) => {
      f.services().interestChanged(f.interest.podChanged(o, p));
      podChanged(o, p);
      f.config?.podChanged(p);
      f.pods.changed(o, p);
    },
    onDelete: (p) => {
      f.pods.deleted(p);
      podChanged(p, undefined);
      f.services().interestChanged(f.interest.podChanged(p, undefined));
      f.config?.podDeleted(p);
    },
  });
  // `edgectl delete node X` revokes X's credential: its live session goes now, not at its next dial.
  deps.nodes.addHandler({
    onAdd: (n: Node) => f.services().nodeChanged(undefined, n),
    onUpdate: (o, n) => {
      f.services().nodeChanged(o, n);
      f.pods.readyAgain(o, n);
    },
    onDelete: (n) => f.revoke(n.metadata.name ?? ''),
  });
  const svcChanged = (o: { metadata: { namespace?: string; name?: string } }): void =>
    f.services().serviceChanged(o.metadata.namespace ?? 'default', o.metadata.name ?? '');
  deps.services.addHandler({ onAdd: svcChanged, onUpdate: (_o, n) => svcChanged(n), onDelete: svcChanged });
  deps.endpoints.addHandler({ onAdd: svcChanged, onUpdate: (_o, n) => svcChanged(n), onDelete: svcChanged });
}

/** The scale-from-zero flag of Service routes, from the HPAs and their targets. */
export function wakeableServices(
  sources: ConstructorParameters<typeof WakeableServices>[0],
  onNamespaceChanged: (namespace: string) => void,
): (svc: Service) => boolean {
  const index = new WakeableServices(sources, onNamespaceChanged);
  return (svc) => index.has(svc);
}
