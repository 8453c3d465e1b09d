/**
 * kubectl port-forward's port arguments before they are parsed as numbers: a Service's port (number
 * or name) becomes its target port in the chosen pod, a pod's named port its number — with
 * kubectl's wording for what cannot be resolved (`pkg/util/service_port.go`, `pod_port.go`).
 */
import type { Pod, Service } from '../../api/index.js';
import { UsageError } from '../errors.js';

/** `[LOCAL:]REMOTE` split as kubectl splits it (no colon: both the same). */
function splitPort(spec: string): [string, string] {
  const parts = spec.split(':');
  return parts.length === 2 ? [parts[0]!, parts[1]!] : [parts[0]!, parts[0]!];
}

const isNumber = (s: string): boolean => /^[+-]?[0-9]+$/.test(s);

/** A container port of `pod` by name. */
export function containerPortByName(pod: Pod, name: string): number {
  for (const c of pod.spec.containers) for (const p of c.ports ?? []) if (p.name === name) return p.containerPort;
  throw new UsageError(`Pod '${pod.metadata.name}' does not have a named port '${name}'`);
}

/** kubectl's `convertPodNamedPortToNumber`. */
export function podPorts(specs: readonly string[], pod: Pod): string[] {
  return specs.map((spec) => {
    const [local, remote] = splitPort(spec);
    if (remote === '') throw new UsageError('remote port cannot be empty');
    const number = isNumber(remote) ? remote : String(containerPortByName(pod, remote));
    return local !== remote ? `${local}:${number}` : number;
  });
}

/** kubectl's `translateServicePortToTargetPort`: a Service port (number or name) to its pod's port. */
export function servicePorts(specs: readonly string[], svc: Service, pod: Pod): string[] {
  const name = svc.metadata.name ?? '';
  return specs.map((spec) => {
    let [local, remote] = splitPort(spec);
    let port: number;
    if (isNumber(remote)) port = Number(remote);
    else {
      const named = (svc.spec.ports ?? []).find((p) => p.name === remote);
      if (!named) throw new UsageError(`Service '${name}' does not have a named port '${remote}'`);
      port = named.port;
      if (local === remote) local = String(port);
    }
    const sp = (svc.spec.ports ?? []).find((p) => p.port === port);
    if (!sp) throw new UsageError(`Service ${name} does not have a service port ${port}`);
    let target: number;
    if (svc.spec.clusterIP === 'None') target = port;
    else if (sp.targetPort === undefined || sp.targetPort === 0) target = sp.port;
    else if (typeof sp.targetPort === 'number') target = sp.targetPort;
    else target = containerPortByName(pod, sp.targetPort);
    remote = String(target);
    return local !== remote ? `${local}:${remote}` : remote;
  });
}
