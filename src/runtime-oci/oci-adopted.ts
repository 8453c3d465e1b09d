/**
 * The OCI runtime's side of adoption (issue 20): the labels a container carries so a later agent can
 * tell whose it is, the status of a container taken back, and handing it to the pod worker that asks.
 */
import type { AdoptedContainer, ContainerRuntimeStatus } from '../api/index.js';
import type { OciAdopted, OciContainerSpec } from './adapter.js';

/** Labels every adapter puts on its containers (daemon-side filters, `ps`-style inspection, adoption). */
export const LABELS = {
  podNamespace: 'io.edgeplane.pod.namespace',
  podName: 'io.edgeplane.pod.name',
  podUid: 'io.edgeplane.pod.uid',
  container: 'io.edgeplane.container',
  specHash: 'io.edgeplane.container.hash',
  restartCount: 'io.edgeplane.container.restart-count',
} as const;

/** The runtime status of a container taken back: running, or exited while no agent ran. */
export function adoptedStatus(c: OciAdopted): ContainerRuntimeStatus {
  const st: ContainerRuntimeStatus = { id: c.id, state: c.state.state === 'exited' ? 'exited' : 'running' };
  if (c.state.startedAt !== undefined) st.startedAt = c.state.startedAt;
  if (c.state.state === 'exited') {
    st.exitCode = c.state.exitCode ?? 137;
    if (c.state.finishedAt !== undefined) st.finishedAt = c.state.finishedAt;
    st.reason = c.state.oomKilled ? 'OOMKilled' : st.exitCode === 0 ? 'Completed' : 'Error';
  }
  return st;
}

/** Takes pod `podUid`'s container `container` out of `unclaimed`; undefined when there is none. */
export function claimAdopted(
  unclaimed: Map<string, OciAdopted>,
  podUid: string,
  container: string,
): AdoptedContainer | undefined {
  for (const c of unclaimed.values()) {
    if (c.labels[LABELS.podUid] !== podUid || c.labels[LABELS.container] !== container) continue;
    unclaimed.delete(c.id);
    const restartCount = Number(c.labels[LABELS.restartCount] ?? '0');
    return {
      id: c.id,
      specHash: c.labels[LABELS.specHash] ?? '',
      restartCount: Number.isInteger(restartCount) && restartCount >= 0 ? restartCount : 0,
      ...(c.state.startedAt !== undefined ? { startedAt: c.state.startedAt } : {}),
    };
  }
  return undefined;
}

/**
 * The spec of a container taken back: only what an adapter reads after start (no image, env, command
 * or args; those stay with the container, and a changed spec replaces it).
 */
export function adoptedSpec(
  known: Pick<OciContainerSpec, 'id' | 'pod' | 'name' | 'hostNetwork' | 'logPath' | 'labels'> &
    Partial<Pick<OciContainerSpec, 'stdin' | 'tty'>>,
): OciContainerSpec {
  return {
    ...known,
    image: { ref: '', digest: '', sizeBytes: 0 },
    command: [],
    args: [],
    env: {},
    ports: [],
    limits: {},
    security: {},
  };
}
