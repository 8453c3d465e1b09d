/**
 * The pods one hollow node holds and the statuses it reports for them, shaped as the real agent's
 * `computePodStatus` shapes them (the four conditions, one running container status per container),
 * without running anything: a pod becomes Running after about half its start delay and Ready after
 * the whole of it. A readiness override lets a scenario flip one endpoint.
 */
import type { Condition, Pod, PodRef, PodStatus } from '../../src/api/index.js';

/** Where a held pod is in its (simulated) life. */
export type SimPhase = 'Pending' | 'Running' | 'Ready' | 'Terminating';

/** One held pod: what a status needs of it, not the whole object. */
export interface SimPod {
  ref: PodRef;
  containers: Array<{ name: string; image: string }>;
  generation: number | undefined;
  phase: SimPhase;
  startTime: string;
  /** Set when a scenario forces readiness (an endpoint flip); undefined follows the phase. */
  readyOverride: boolean | undefined;
  /** When the pod became Ready (ISO), for the Ready condition's transition time. */
  readySince: string | undefined;
}

/** The pod's reference as the wire carries it. */
export function podRef(pod: Pod): PodRef {
  return { namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' };
}

/** A newly held pod, Pending. */
export function simPod(pod: Pod, now: string): SimPod {
  return {
    ref: podRef(pod),
    containers: pod.spec.containers.map((c) => ({ name: c.name, image: c.image })),
    generation: pod.metadata.generation,
    phase: 'Pending',
    startTime: now,
    readyOverride: undefined,
    readySince: undefined,
  };
}

/** True when the pod reports Ready. */
export function isReady(p: SimPod): boolean {
  return p.readyOverride ?? p.phase === 'Ready';
}

/** The status a real agent would report for the pod now. */
export function simStatus(p: SimPod, hostIP: string): PodStatus {
  const running = p.phase !== 'Pending';
  const ready = running && isReady(p);
  const since = p.readySince ?? p.startTime;
  const cond = (type: string, ok: boolean): Condition =>
    ok
      ? { type, status: 'True', lastProbeTime: null, lastTransitionTime: type.endsWith('Ready') ? since : p.startTime }
      : {
          type,
          status: 'False',
          reason: 'ContainersNotReady',
          message: `containers with unready status: [${p.containers.map((c) => c.name).join(' ')}]`,
          lastProbeTime: null,
          lastTransitionTime: p.startTime,
        };
  const status: PodStatus = {
    phase: running ? 'Running' : 'Pending',
    conditions: [
      cond('PodScheduled', true),
      cond('Initialized', true),
      cond('ContainersReady', ready),
      cond('Ready', ready),
    ],
    hostIP,
    podIP: hostIP,
    startTime: p.startTime,
    containerStatuses: p.containers.map((c) => ({
      name: c.name,
      image: c.image,
      ready,
      started: running,
      restartCount: 0,
      state: running ? { running: { startedAt: p.startTime } } : { waiting: { reason: 'ContainerCreating' } },
    })),
  };
  if (p.generation !== undefined) status.observedGeneration = p.generation;
  return status;
}
