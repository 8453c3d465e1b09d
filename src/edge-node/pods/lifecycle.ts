/**
 * The kubelet's rules for one container's life, as pure functions: how an exit is recorded, whether
 * the restart policy restarts it, and the waiting reasons shown while backing off.
 */
import { rfc3339 } from '../../api/index.js';
import type { ContainerRuntimeStatus, ContainerState, RestartPolicy } from '../../api/index.js';
import { formatDuration } from '../backoff.js';
import type { ContainerInstance } from './container-slot.js';
import type { PodKey } from './pod-ref.js';

type Terminated = NonNullable<ContainerState['terminated']>;

/** The `terminated` state of an instance from the runtime's status (undefined: the runtime lost it). */
export function terminatedState(
  st: ContainerRuntimeStatus | undefined,
  inst: ContainerInstance,
  nowMs: number,
): Terminated {
  const exitCode = st?.exitCode ?? (st ? 0 : 137);
  const t: Terminated = {
    exitCode,
    reason: st?.reason ?? (st ? (exitCode === 0 ? 'Completed' : 'Error') : 'ContainerStatusUnknown'),
    finishedAt: st?.finishedAt ?? rfc3339(nowMs),
  };
  const message = st ? st.message : 'The container could not be located';
  if (message !== undefined) t.message = message;
  if (inst.startedAt !== undefined) t.startedAt = inst.startedAt;
  return t;
}

/** Whether `restartPolicy` restarts a container that exited with `exitCode`. */
export function restartWanted(policy: RestartPolicy, exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

/** The `CrashLoopBackOff` waiting state, worded as the kubelet words it. */
export function crashLoopState(delayMs: number, container: string, pod: PodKey): ContainerState {
  return {
    waiting: {
      reason: 'CrashLoopBackOff',
      message: `back-off ${formatDuration(delayMs)} restarting failed container=${container} pod=${pod.name}_${pod.namespace}(${pod.uid})`,
    },
  };
}

/** The waiting state after a failed pull: `ErrImagePull` the first time, `ImagePullBackOff` while retrying. */
export function pullFailedState(failures: number, delayMs: number, image: string, error: string): ContainerState {
  return failures <= 1
    ? { waiting: { reason: 'ErrImagePull', message: error } }
    : {
        waiting: {
          reason: 'ImagePullBackOff',
          message: `Back-off ${formatDuration(delayMs)} pulling image "${image}": ${error}`,
        },
      };
}

/** Rejects as soon as `signal` aborts, even if `p` ignores it. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
