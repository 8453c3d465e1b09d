/**
 * Pod status as the kubelet computes it: phase from the container states and the restart policy,
 * the four standard conditions, and container statuses. Pure functions over a `PodView`, so the
 * worker owns state and this file owns the Kubernetes rules.
 */
import type {
  Condition,
  ContainerState,
  ContainerStatus,
  PodPhase,
  PodStatus,
  RestartPolicy,
} from '../../api/index.js';

/** One container as the status computation sees it. */
export interface ContainerView {
  name: string;
  image: string;
  imageID?: string;
  containerID?: string;
  /** Running and, when a probe manager is present, passing readiness. */
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: ContainerState;
  lastState?: ContainerState;
  /** Terminated and no restart will follow (restart policy says so). */
  finished: boolean;
}

/** A pod as the status computation sees it. */
export interface PodView {
  restartPolicy: RestartPolicy;
  /** A pod-level failure (e.g. no runtime for its runtimeClassName): phase Failed with this reason. */
  failure?: { reason: string; message: string };
  containers: ContainerView[];
  hostIP: string;
  startTime?: string;
  observedGeneration?: number;
}

/** The phase, following kubelet's getPhase for pods without init containers. */
export function podPhase(view: PodView): PodPhase {
  if (view.failure) return 'Failed';
  const cs = view.containers;
  if (cs.length > 0 && cs.every((c) => c.finished)) {
    return cs.every((c) => c.state.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  // A container waiting that never ran keeps the pod Pending; a crash-looping one counts as stopped.
  if (cs.some((c) => c.state.waiting !== undefined && c.lastState?.terminated === undefined && c.restartCount === 0))
    return 'Pending';
  return 'Running';
}

/** Computes the full status; `previous` keeps `lastTransitionTime`s of conditions that did not change. */
export function computePodStatus(view: PodView, previous: PodStatus | undefined, now: string): PodStatus {
  const phase = podPhase(view);
  const unready = view.containers.filter((c) => !c.ready).map((c) => c.name);
  const allReady = unready.length === 0 && view.containers.length > 0;
  const notReadyReason = phase === 'Succeeded' || phase === 'Failed' ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = `containers with unready status: [${unready.join(' ')}]`;
  const readyCond = (type: string): Condition =>
    allReady ? { type, status: 'True' } : { type, status: 'False', reason: notReadyReason, message: notReadyMessage };

  const conditions = [
    { type: 'PodScheduled', status: 'True' } as Condition,
    { type: 'Initialized', status: 'True' } as Condition,
    readyCond('ContainersReady'),
    readyCond('Ready'),
  ].map((c) => withTransitionTime(c, previous?.conditions, now));

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: view.hostIP,
    podIP: view.hostIP,
    containerStatuses: view.containers.map(toContainerStatus),
  };
  if (view.startTime !== undefined) status.startTime = view.startTime;
  if (view.failure) {
    status.reason = view.failure.reason;
    status.message = view.failure.message;
  }
  if (view.observedGeneration !== undefined) status.observedGeneration = view.observedGeneration;
  return status;
}

function toContainerStatus(c: ContainerView): ContainerStatus {
  const s: ContainerStatus = {
    name: c.name,
    image: c.image,
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
    state: c.state,
  };
  if (c.imageID !== undefined) s.imageID = c.imageID;
  if (c.containerID !== undefined) s.containerID = c.containerID;
  if (c.lastState !== undefined) s.lastState = c.lastState;
  return s;
}

function withTransitionTime(cond: Condition, previous: Condition[] | undefined, now: string): Condition {
  const prev = previous?.find((p) => p.type === cond.type);
  const lastTransitionTime =
    prev && prev.status === cond.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
  return { ...cond, lastProbeTime: null, lastTransitionTime };
}
