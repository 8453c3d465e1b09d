/** Which running container of a pod serves a Service's target port on this node. */
import type { LocalTarget } from '../mesh/index.js';
import { resolveContainerPort } from './container-config.js';
import type { ContainerSlot } from './container-slot.js';
import type { PodKey } from './pod-ref.js';

/**
 * A running container declaring `targetPort` (number, or a named containerPort). Kubernetes does not
 * require declaring a port, so a numeric port of a single-container pod is taken as is. Callers ask
 * only for a Service's targetPort: the mesh server refuses any (pod, port) pair that is not a Service
 * endpoint on this node before it asks here, so this fallback cannot reach an arbitrary port.
 */
export function findLocalTarget(
  slots: readonly ContainerSlot[],
  pod: PodKey,
  targetPort: number | string,
): LocalTarget {
  const running = slots.filter((s) => s.running);
  if (running.length === 0)
    return { ok: false, reason: 'not-running', message: `pod ${pod.namespace}/${pod.name} has no running container` };
  for (const slot of running) {
    const port = resolveContainerPort(slot.spec, targetPort);
    if (port !== undefined && slot.instance)
      return { ok: true, runtime: slot.instance.runtime, containerId: slot.instance.id, port };
  }
  const only = running.length === 1 && slots.length === 1 ? running[0] : undefined;
  const numeric =
    typeof targetPort === 'number' ? targetPort : /^[0-9]+$/.test(targetPort) ? Number(targetPort) : undefined;
  if (only?.instance && numeric !== undefined)
    return { ok: true, runtime: only.instance.runtime, containerId: only.instance.id, port: numeric };
  return {
    ok: false,
    reason: 'no-port',
    message: `pod ${pod.namespace}/${pod.name} has no running container serving port ${targetPort}`,
  };
}

/** The pod's own IP as the runtime of one of its containers gives it (containers on a pod bridge). */
export function podIPOf(slots: Iterable<ContainerSlot>): string | undefined {
  for (const slot of slots) {
    const inst = slot.instance;
    const ip = inst && inst.runtime.network?.().podIP(inst.id);
    if (ip) return ip;
  }
  return undefined;
}
