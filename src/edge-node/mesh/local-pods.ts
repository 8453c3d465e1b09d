/**
 * The node's pods as the mesh sees them: a registry the pod workers fill (a pod is added when its
 * worker starts, removed when it is gone) and the mesh reads — where a Service's target port of a
 * local pod is served, which pod a container's connection comes from, what a calling pod allows.
 * It exists before the runtimes and the pod workers, so the mesh (and the outgoing-call handler a
 * runtime is built with) needs no reference to either.
 */
import type { Pod, Runtime } from '../../api/index.js';
import type { LocalContainerTarget } from './delivery/deliverer.js';

/** Where local traffic for a pod's port goes: a running container's port, or why there is none. */
export type LocalTarget =
  | { ok: true; runtime: Runtime; containerId: string; port: number; podTimeoutMs?: number }
  | { ok: false; reason: 'not-running' | 'no-port'; message: string };

/** Resolves a pod on this node to the container serving a port (`not-found`: the pod is not here). */
export type LocalTargetLookup = (
  namespace: string,
  name: string,
  targetPort: number | string,
) => ({ ok: true } & LocalContainerTarget) | { ok: false; reason: string; message: string };

/** A pod of this node, as a caller of the node's listeners. */
export interface PodCaller {
  namespace: string;
  name: string;
  uid: string;
  annotations?: Readonly<Record<string, string>>;
}

/** What the mesh needs of one local pod (its pod worker). */
export interface LocalPod {
  readonly ref: { namespace: string; name: string; uid: string };
  /** The pod as last desired (its annotations carry the egress policy). */
  readonly pod: Pod;
  /** Being stopped: no traffic is delivered to it any more. */
  readonly isTerminating: boolean;
  /** The address its containers' connections come from (bridged pods); undefined otherwise. */
  podIP(): string | undefined;
  /** The running container serving `targetPort` (number or containerPort name). */
  localTarget(targetPort: number | string): LocalTarget;
}

/** The registry of the node's pods, in the order they were added. */
export class LocalPods {
  readonly #pods = new Map<string, LocalPod>();

  /** `endpointUids`: pod uids of every endpoint of the node's Services (its Service table's). */
  constructor(private readonly endpointUids: () => ReadonlySet<string> = () => new Set()) {}

  /** Whether pod `uid` is an endpoint (ready or not) of a Service this node knows. */
  backsService(uid: string): boolean {
    return this.endpointUids().has(uid);
  }

  /** A pod's worker started. */
  add(pod: LocalPod): void {
    this.#pods.set(pod.ref.uid, pod);
  }

  /** A pod's worker is gone (only that worker: a newer one of the same uid stays). */
  remove(pod: LocalPod): void {
    if (this.#pods.get(pod.ref.uid) === pod) this.#pods.delete(pod.ref.uid);
  }

  /** Where traffic for `namespace/name` on `targetPort` goes on this node. */
  target(
    namespace: string,
    name: string,
    targetPort: number | string,
  ): LocalTarget | { ok: false; reason: 'not-found'; message: string } {
    const p = this.#find(namespace, name);
    // A terminating pod still answers while it drains (its worker refuses once it stops its containers).
    if (!p) return { ok: false, reason: 'not-found', message: `pod ${namespace}/${name} is not on this node` };
    return p.localTarget(targetPort);
  }

  /** The pod whose containers have `ip` (pods with an address of their own: bridged containers). */
  callerAt(ip: string): PodCaller | undefined {
    for (const p of this.#pods.values()) {
      if (p.podIP() !== ip) continue;
      const annotations = p.pod.metadata.annotations;
      return { ...p.ref, ...(annotations ? { annotations } : {}) };
    }
    return undefined;
  }

  /** The annotations of a calling pod (by uid, else by name); undefined when it is not (or no longer) here. */
  annotationsOf(caller: {
    namespace: string;
    name: string;
    uid: string;
  }): Readonly<Record<string, string>> | undefined {
    return (this.#pods.get(caller.uid) ?? this.#find(caller.namespace, caller.name))?.pod.metadata.annotations;
  }

  #find(namespace: string, name: string): LocalPod | undefined {
    for (const p of this.#pods.values()) if (p.ref.namespace === namespace && p.ref.name === name) return p;
    return undefined;
  }
}
