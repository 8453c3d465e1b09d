/** The STATUS, READY and RESTARTS of a pod, computed the way kubectl's printer computes them. */
import type { Pod } from '../pod.js';
import { humanDuration } from './age.js';

/**
 * STATUS: `Terminating` while deleted, else the first container's waiting or terminated reason
 * (`ContainerCreating`, `CrashLoopBackOff`, `ErrImagePull`, `Completed`…), else `status.reason`,
 * else the phase.
 */
export function podStatus(pod: Pod): string {
  let reason: string = pod.status?.reason || pod.status?.phase || 'Pending';
  let hasRunning = false;
  const statuses = pod.status?.containerStatuses ?? [];
  // Backwards, so the first container's reason wins (as kubectl does).
  for (let i = statuses.length - 1; i >= 0; i--) {
    const cs = statuses[i];
    if (!cs) continue;
    const st = cs.state;
    if (st?.waiting?.reason) reason = st.waiting.reason;
    else if (st?.terminated?.reason) reason = st.terminated.reason;
    else if (st?.terminated)
      reason = st.terminated.signal ? `Signal:${st.terminated.signal}` : `ExitCode:${st.terminated.exitCode}`;
    else if (cs.ready && st?.running) hasRunning = true;
  }
  if (reason === 'Completed' && hasRunning) {
    reason = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  }
  if (pod.metadata.deletionTimestamp) reason = pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

/** READY: ready containers / containers in the spec. */
export function podReady(pod: Pod): string {
  const ready = (pod.status?.containerStatuses ?? []).filter((c) => c.ready && c.state?.running).length;
  return `${ready}/${pod.spec.containers.length}`;
}

/** RESTARTS: the sum of restart counts, with the age of the last restart (`3 (2m ago)`). */
export function podRestarts(pod: Pod, now: number): string {
  let restarts = 0;
  let last = 0;
  for (const cs of pod.status?.containerStatuses ?? []) {
    restarts += cs.restartCount;
    const finished = cs.lastState?.terminated?.finishedAt;
    const t = finished ? Date.parse(finished) : NaN;
    if (!Number.isNaN(t) && t > last) last = t;
  }
  return restarts > 0 && last > 0 ? `${restarts} (${humanDuration(now - last)} ago)` : String(restarts);
}
