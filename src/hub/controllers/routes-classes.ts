/**
 * Which GatewayClasses are Edgeplane's, and which Gateway listeners are served. A class is ours when
 * its `controllerName` is Edgeplane's and it takes no parameters; the built-in name `edgeplane` is
 * ours too while no GatewayClass object of that name exists (clusters made before the kind was
 * served). A Gateway naming another controller's class, or a class that does not exist, is not ours:
 * its status stays as the API server stored it ("Waiting for controller").
 *
 * Listeners: within one Gateway, listeners on one port must have distinct hostnames (no hostname
 * counts as one value), else they are `Conflicted` (HostnameConflict) and none of them is served. Only
 * HTTP is served, so a ProtocolConflict cannot arise. Across Gateways a node port serves one Gateway:
 * the oldest (then namespace/name) keeps it and the others' listeners there are refused with
 * `PortUnavailable`. A port a NodePort Service holds is unavailable to every Gateway (the Service is
 * named in the listener's condition); the registry in turn refuses a Service the port of a served
 * listener, so whoever held the port first keeps it.
 *
 * Finalizer: as the Gateway API controllers do, a class of ours carries
 * `gateway-exists-finalizer.gateway.networking.k8s.io` while any Gateway names it, so its deletion
 * waits for the last of them; the finalizer goes when none does. Meanwhile its Gateways stay served:
 * the finalizer's point is that deleting a class in use does not pull the ground from under them.
 */
import type { Gateway, GatewayClass, Service } from '../../api/index.js';
import { EDGEPLANE_GATEWAY_CLASS, GATEWAY_CONTROLLER_NAME } from '../../api/index.js';
import { keyOf, nsOf } from './routes-model.js';

/** Whether a GatewayClass object is ours and acceptable (its `Accepted` condition's status). */
export function classAccepted(c: GatewayClass): boolean {
  return c.spec.controllerName === GATEWAY_CONTROLLER_NAME && c.spec.parametersRef === undefined;
}

/** The finalizer a class in use carries (Gateway API's name for it). */
export const GATEWAY_CLASS_FINALIZER = 'gateway-exists-finalizer.gateway.networking.k8s.io';

/**
 * The finalizers class `c` of ours should carry when `inUse` (a Gateway names it), or undefined when
 * its current list is already right.
 */
export function classFinalizers(c: GatewayClass, inUse: boolean): string[] | undefined {
  const now = c.metadata.finalizers ?? [];
  const has = now.includes(GATEWAY_CLASS_FINALIZER);
  if (inUse === has) return undefined;
  // A class being deleted gets no new finalizer: one that lost its last Gateway before we saw it goes.
  if (inUse && c.metadata.deletionTimestamp) return undefined;
  return inUse ? [...now, GATEWAY_CLASS_FINALIZER] : now.filter((f) => f !== GATEWAY_CLASS_FINALIZER);
}

/** The class names whose Gateways this controller serves (a class being deleted still serves until it is gone). */
export function servedClassNames(classes: readonly GatewayClass[]): Set<string> {
  const out = new Set<string>();
  for (const c of classes) if (classAccepted(c)) out.add(c.metadata.name ?? '');
  if (!classes.some((c) => c.metadata.name === EDGEPLANE_GATEWAY_CLASS)) out.add(EDGEPLANE_GATEWAY_CLASS);
  return out;
}

/** A listener not served, and what holds its port (PortUnavailable). */
export interface ListenerIssue {
  problem: 'HostnameConflict' | 'PortUnavailable';
  /** `Gateway ns/name` or `Service ns/name`: the port's holder. */
  heldBy?: string;
}

/** NodePort Services' node ports: port → `namespace/name` of the Service. */
export function serviceNodePorts(services: readonly Service[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const s of services)
    if (s.spec.type === 'NodePort')
      for (const p of s.spec.ports)
        if (p.nodePort !== undefined) out.set(p.nodePort, keyOf(nsOf(s), s.metadata.name ?? ''));
  return out;
}

/**
 * Per served Gateway (`namespace/name`), each listener's issue (undefined: served). `nodePorts`:
 * the ports NodePort Services hold (`serviceNodePorts`).
 */
export function listenerProblems(
  gateways: readonly Gateway[],
  nodePorts: ReadonlyMap<number, string> = new Map(),
): Map<string, Array<ListenerIssue | undefined>> {
  const out = new Map<string, Array<ListenerIssue | undefined>>();
  const older = (a: Gateway, b: Gateway): number =>
    (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
    keyOf(nsOf(a), a.metadata.name ?? '').localeCompare(keyOf(nsOf(b), b.metadata.name ?? ''));
  const portOwner = new Map<number, string>();
  for (const gw of [...gateways].sort(older)) {
    const key = keyOf(nsOf(gw), gw.metadata.name ?? '');
    const hosts = new Map<string, number>();
    for (const l of gw.spec.listeners) {
      const k = `${l.port}|${l.hostname ?? ''}`;
      hosts.set(k, (hosts.get(k) ?? 0) + 1);
    }
    const problems = gw.spec.listeners.map((l): ListenerIssue | undefined => {
      const svc = nodePorts.get(l.port);
      if (svc !== undefined) return { problem: 'PortUnavailable', heldBy: `Service ${svc}` };
      if ((hosts.get(`${l.port}|${l.hostname ?? ''}`) ?? 0) > 1) return { problem: 'HostnameConflict' };
      const owner = portOwner.get(l.port);
      return owner !== undefined && owner !== key
        ? { problem: 'PortUnavailable', heldBy: `Gateway ${owner}` }
        : undefined;
    });
    gw.spec.listeners.forEach((l, i) => {
      if (problems[i]?.problem !== 'PortUnavailable' && !portOwner.has(l.port)) portOwner.set(l.port, key);
    });
    out.set(key, problems);
  }
  return out;
}
