/** apps/v1 ReplicaSet and Deployment. */
import { z } from 'zod';
import { Condition, LabelSelector, objectShape } from './meta.js';
import { Seconds } from './duration.js';
import { PodTemplateSpec } from './pod.js';

const IntOrPercent = z.union([
  z.number().int().min(0),
  z.string().regex(/^[0-9]+%$/, { message: 'must be an integer or a percentage such as 25%' }),
]);

export const ReplicaSetSpec = z.strictObject({
  replicas: z.number().int().min(0).optional().describe('Number of pods wanted; 1 when not given.'),
  minReadySeconds: Seconds(0).optional().describe('Seconds a new pod must be ready before it counts as available.'),
  selector: LabelSelector.describe("Which pods belong to this ReplicaSet; must match the template's labels."),
  template: PodTemplateSpec.describe('The pod each replica is made from.'),
});

export const ReplicaSetStatus = z.strictObject({
  replicas: z.number().int(),
  fullyLabeledReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  conditions: z.array(Condition).optional(),
});

export const ReplicaSet = z
  .strictObject({
    ...objectShape('apps/v1', 'ReplicaSet'),
    spec: ReplicaSetSpec.describe('The wanted replicas and their pod template.'),
    status: ReplicaSetStatus.optional().describe('Observed replicas, written by the hub. Read-only.'),
  })
  .describe('ReplicaSet keeps a number of identical pods running; Deployments manage ReplicaSets.');
export type ReplicaSet = z.infer<typeof ReplicaSet>;

export const DeploymentStrategy = z.strictObject({
  type: z
    .enum(['RollingUpdate', 'Recreate'])
    .optional()
    .describe(
      'RollingUpdate (the default) replaces pods gradually; Recreate stops all old pods before new ones start.',
    ),
  rollingUpdate: z
    .strictObject({
      maxSurge: IntOrPercent.optional().describe(
        'Pods allowed above the wanted replicas during an update: a number or a percentage (default 25%).',
      ),
      maxUnavailable: IntOrPercent.optional().describe(
        'Pods allowed to be unavailable during an update: a number or a percentage (default 25%).',
      ),
    })
    .optional()
    .describe('Parameters of a RollingUpdate; only with type RollingUpdate.'),
});

export const DeploymentSpec = z.strictObject({
  replicas: z.number().int().min(0).optional().describe('Number of pods wanted; 1 when not given.'),
  selector: LabelSelector.describe("Which pods belong to this Deployment; must match the template's labels."),
  template: PodTemplateSpec.describe('The pod every replica is made from; a change rolls out a new ReplicaSet.'),
  strategy: DeploymentStrategy.optional().describe(
    'How to replace existing pods with new ones when the template changes.',
  ),
  minReadySeconds: Seconds(0)
    .optional()
    .describe('Seconds a new pod must be ready before it counts as available (default 0).'),
  revisionHistoryLimit: z.number().int().min(0).optional().describe('Old ReplicaSets kept for rollback (default 10).'),
  progressDeadlineSeconds: Seconds(1)
    .optional()
    .describe('Seconds a rollout may make no progress before it is reported as failed (default 600).'),
  paused: z.boolean().optional().describe('While true, template changes are not rolled out.'),
});

export const DeploymentStatus = z.strictObject({
  replicas: z.number().int().optional(),
  updatedReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  unavailableReplicas: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  collisionCount: z.number().int().optional(),
  conditions: z.array(Condition).optional(),
});

export const Deployment = z
  .strictObject({
    ...objectShape('apps/v1', 'Deployment'),
    spec: DeploymentSpec.describe('The wanted state: replicas, pod template and rollout strategy.'),
    status: DeploymentStatus.optional().describe('The observed state, written by the hub. Read-only.'),
  })
  .describe(
    'Deployment runs replicas of a pod template (a Wasm component or a container) and rolls out changes to it.',
  );
export type Deployment = z.infer<typeof Deployment>;

export const DaemonSetUpdateStrategy = z.strictObject({
  type: z.enum(['RollingUpdate', 'OnDelete']).optional(),
  rollingUpdate: z
    .strictObject({ maxUnavailable: IntOrPercent.optional(), maxSurge: IntOrPercent.optional() })
    .optional(),
});

export const DaemonSetSpec = z.strictObject({
  selector: LabelSelector.describe("Which pods belong to this DaemonSet; must match the template's labels."),
  template: PodTemplateSpec.describe('The pod run on every matching node.'),
  updateStrategy: DaemonSetUpdateStrategy.optional().describe(
    'How to replace the pods when the template changes (RollingUpdate or OnDelete).',
  ),
  minReadySeconds: Seconds(0).optional(),
  revisionHistoryLimit: z.number().int().min(0).optional(),
});

export const DaemonSetStatus = z.strictObject({
  currentNumberScheduled: z.number().int(),
  desiredNumberScheduled: z.number().int(),
  numberMisscheduled: z.number().int(),
  numberReady: z.number().int(),
  updatedNumberScheduled: z.number().int().optional(),
  numberAvailable: z.number().int().optional(),
  numberUnavailable: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  conditions: z.array(Condition).optional(),
});

/** apps/v1 DaemonSet: one pod on every node that matches. */
export const DaemonSet = z
  .strictObject({
    ...objectShape('apps/v1', 'DaemonSet'),
    spec: DaemonSetSpec.describe('The pod template and which nodes run it.'),
    status: DaemonSetStatus.optional().describe('The observed state, written by the hub. Read-only.'),
  })
  .describe("DaemonSet runs one copy of a pod on every node that matches its template's node selector.");
export type DaemonSet = z.infer<typeof DaemonSet>;

export const JobSpec = z.strictObject({
  template: PodTemplateSpec.describe('The pod each run is made from; its restartPolicy must be Never or OnFailure.'),
  completions: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Successful pods needed for the Job to complete (default 1).'),
  parallelism: z.number().int().min(0).optional().describe('Pods run at the same time at most (default 1).'),
  backoffLimit: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Failed pods allowed before the Job is marked failed (default 6).'),
  activeDeadlineSeconds: Seconds(1)
    .optional()
    .describe('Seconds the Job may run in all before it is stopped and marked failed.'),
  ttlSecondsAfterFinished: Seconds(0).optional(),
  suspend: z.boolean().optional(),
  /** Set by the hub (as Kubernetes does) from the Job's uid; a manifest may leave both out. */
  selector: LabelSelector.optional(),
  manualSelector: z.boolean().optional(),
});

export const JobStatus = z.strictObject({
  active: z.number().int().optional(),
  succeeded: z.number().int().optional(),
  failed: z.number().int().optional(),
  ready: z.number().int().optional(),
  startTime: z.string().optional(),
  completionTime: z.string().optional(),
  conditions: z.array(Condition).optional(),
});

/** batch/v1 Job: pods run to completion (`completions`, `parallelism`, `backoffLimit`, `activeDeadlineSeconds`). */
export const Job = z
  .strictObject({
    ...objectShape('batch/v1', 'Job'),
    spec: JobSpec.describe('The pod template and how many runs must succeed.'),
    status: JobStatus.optional().describe('The observed state, written by the hub. Read-only.'),
  })
  .describe('Job runs pods until a number of them complete successfully.');
export type Job = z.infer<typeof Job>;
