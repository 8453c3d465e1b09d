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
 * `PortUnavailable`.
 */
import type { Gateway, GatewayClass } from '../../api/index.js';
import { EDGEPLANE_GATEWAY_CLASS, GATEWAY_CONTROLLER_NAME } from '../../api/index.js';
import { keyOf, nsOf } from './routes-model.js';

/** Why a listener is not served, if it is not. */
export type ListenerProblem = 'HostnameConflict' | 'PortUnavailable' | undefined;

/** Whether a GatewayClass object is ours and acceptable (its `Accepted` condition's status). */
export function classAccepted(c: GatewayClass): boolean {
  return c.spec.controllerName === GATEWAY_CONTROLLER_NAME && c.spec.parametersRef === undefined;
}

/** The class names whose Gateways this controller serves. */
export function servedClassNames(classes: readonly GatewayClass[]): Set<string> {
  const out = new Set<string>();
  for (const c of classes) if (classAccepted(c) && !c.metadata.deletionTimestamp) out.add(c.metadata.name ?? '');
  if (!classes.some((c) => c.metadata.name === EDGEPLANE_GATEWAY_CLASS)) out.add(EDGEPLANE_GATEWAY_CLASS);
  return out;
}

/** Per served Gateway (`namespace/name`), each listener's problem (undefined: served). */
export function listenerProblems(gateways: readonly Gateway[]): Map<string, ListenerProblem[]> {
  const out = new Map<string, ListenerProblem[]>();
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
    const problems = gw.spec.listeners.map((l): ListenerProblem => {
      if ((hosts.get(`${l.port}|${l.hostname ?? ''}`) ?? 0) > 1) return 'HostnameConflict';
      const owner = portOwner.get(l.port);
      return owner !== undefined && owner !== key ? 'PortUnavailable' : undefined;
    });
    gw.spec.listeners.forEach((l, i) => {
      if (problems[i] !== 'PortUnavailable' && !portOwner.has(l.port)) portOwner.set(l.port, key);
    });
    out.set(key, problems);
  }
  return out;
}
