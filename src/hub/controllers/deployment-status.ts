/**
 * A Deployment's status as Kubernetes reports it: replica counts summed over its ReplicaSets, and the
 * `Available` and `Progressing` conditions (paused, complete, progressing, or past its progress
 * deadline). Pure: the controller writes the status and acts on what else it returns.
 */
import type { Condition, Deployment, ReplicaSet } from '../../api/index.js';
import { rfc3339 } from '../../api/index.js';
import { jsonEqual, setCondition } from '../reconcile/index.js';
import { surgeAndUnavailable } from './rollout.js';

/** The status to write, and what the controller should do besides. */
export interface DeploymentStatusResult {
  status: NonNullable<Deployment['status']> & { conditions: Condition[] };
  /** Look at the Deployment again after this long (a progress deadline falls due). */
  lookAgainInMs: number | undefined;
  /** The progress deadline has just been exceeded (the controller records an Event). */
  deadlineExceeded: boolean;
}

/** The status of `d` given its new ReplicaSet and all it owns, at `nowMs`. */
export function deploymentStatus(
  d: Deployment,
  newRS: ReplicaSet | undefined,
  all: ReplicaSet[],
  nowMs: number,
): DeploymentStatusResult {
  const now = rfc3339(nowMs);
  const desired = d.spec.replicas ?? 1;
  const sum = (f: (rs: ReplicaSet) => number | undefined): number => all.reduce((n, rs) => n + (f(rs) ?? 0), 0);
  const counts = {
    replicas: sum((rs) => rs.status?.replicas),
    updatedReplicas: newRS?.status?.replicas ?? 0,
    readyReplicas: sum((rs) => rs.status?.readyReplicas),
    availableReplicas: sum((rs) => rs.status?.availableReplicas),
  };
  const unavailableReplicas = Math.max(0, desired - counts.availableReplicas);
  const { maxUnavailable } = surgeAndUnavailable(d);
  let conditions: Condition[] = d.status?.conditions ?? [];
  let lookAgainInMs: number | undefined;
  let deadlineExceeded = false;
  const availableOk = counts.availableReplicas >= desired - maxUnavailable;
  conditions = setCondition(
    conditions,
    {
      type: 'Available',
      status: availableOk ? 'True' : 'False',
      reason: availableOk ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      message: availableOk ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      lastUpdateTime: now,
    },
    now,
  );
  const complete =
    newRS !== undefined &&
    counts.updatedReplicas === desired &&
    counts.availableReplicas === desired &&
    counts.replicas === desired &&
    (newRS.status?.observedGeneration ?? 0) >= (newRS.metadata.generation ?? 1);
  const prevProgressing = conditions.find((c) => c.type === 'Progressing');
  const prevCounts = {
    replicas: d.status?.replicas ?? 0,
    updatedReplicas: d.status?.updatedReplicas ?? 0,
    readyReplicas: d.status?.readyReplicas ?? 0,
    availableReplicas: d.status?.availableReplicas ?? 0,
  };
  const progressed = !jsonEqual(prevCounts, counts) || d.status?.observedGeneration !== d.metadata.generation;
  const deadline = (d.spec.progressDeadlineSeconds ?? 600) * 1000;
  const rsName = newRS?.metadata.name ?? d.metadata.name;
  if (d.spec.paused) {
    conditions = setCondition(
      conditions,
      {
        type: 'Progressing',
        status: 'Unknown',
        reason: 'DeploymentPaused',
        message: 'Deployment is paused',
        lastUpdateTime: now,
      },
      now,
    );
  } else if (complete) {
    conditions = setCondition(
      conditions,
      {
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${rsName}" has successfully progressed.`,
        lastUpdateTime:
          prevProgressing?.reason === 'NewReplicaSetAvailable' ? (prevProgressing.lastUpdateTime ?? now) : now,
      },
      now,
    );
  } else if (
    progressed ||
    !prevProgressing ||
    prevProgressing.reason === 'NewReplicaSetAvailable' ||
    prevProgressing.reason === 'DeploymentPaused'
  ) {
    conditions = setCondition(
      conditions,
      {
        type: 'Progressing',
        status: 'True',
        reason: 'ReplicaSetUpdated',
        message: `ReplicaSet "${rsName}" is progressing.`,
        lastUpdateTime: now,
      },
      now,
    );
    lookAgainInMs = deadline + 1000;
  } else if (prevProgressing.reason === 'ReplicaSetUpdated') {
    const due = Date.parse(prevProgressing.lastUpdateTime ?? now) + deadline;
    if (due <= nowMs) {
      conditions = setCondition(
        conditions,
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${rsName}" has timed out progressing.`,
          lastUpdateTime: now,
        },
        now,
      );
      deadlineExceeded = true;
    } else {
      // No progress since lastUpdateTime: look again when the deadline falls due.
      lookAgainInMs = due - nowMs + 100;
    }
  }
  const status = {
    ...counts,
    unavailableReplicas,
    observedGeneration: d.metadata.generation ?? 1,
    ...(d.status?.collisionCount ? { collisionCount: d.status.collisionCount } : {}),
    conditions,
  };
  return { status, lookAgainInMs, deadlineExceeded };
}
