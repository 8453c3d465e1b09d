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
  replicas: z.number().int().min(0).optional(),
  minReadySeconds: Seconds(0).optional(),
  selector: LabelSelector,
  template: PodTemplateSpec,
});

export const ReplicaSetStatus = z.strictObject({
  replicas: z.number().int(),
  fullyLabeledReplicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  availableReplicas: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
  conditions: z.array(Condition).optional(),
});

export const ReplicaSet = z.strictObject({
  ...objectShape('apps/v1', 'ReplicaSet'),
  spec: ReplicaSetSpec,
  status: ReplicaSetStatus.optional(),
});
export type ReplicaSet = z.infer<typeof ReplicaSet>;

export const DeploymentStrategy = z.strictObject({
  type: z.enum(['RollingUpdate', 'Recreate']).optional(),
  rollingUpdate: z
    .strictObject({ maxSurge: IntOrPercent.optional(), maxUnavailable: IntOrPercent.optional() })
    .optional(),
});

export const DeploymentSpec = z.strictObject({
  replicas: z.number().int().min(0).optional(),
  selector: LabelSelector,
  template: PodTemplateSpec,
  strategy: DeploymentStrategy.optional(),
  minReadySeconds: Seconds(0).optional(),
  revisionHistoryLimit: z.number().int().min(0).optional(),
  progressDeadlineSeconds: Seconds(1).optional(),
  paused: z.boolean().optional(),
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

export const Deployment = z.strictObject({
  ...objectShape('apps/v1', 'Deployment'),
  spec: DeploymentSpec,
  status: DeploymentStatus.optional(),
});
export type Deployment = z.infer<typeof Deployment>;

export const DaemonSetUpdateStrategy = z.strictObject({
  type: z.enum(['RollingUpdate', 'OnDelete']).optional(),
  rollingUpdate: z
    .strictObject({ maxUnavailable: IntOrPercent.optional(), maxSurge: IntOrPercent.optional() })
    .optional(),
});

export const DaemonSetSpec = z.strictObject({
  selector: LabelSelector,
  template: PodTemplateSpec,
  updateStrategy: DaemonSetUpdateStrategy.optional(),
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
export const DaemonSet = z.strictObject({
  ...objectShape('apps/v1', 'DaemonSet'),
  spec: DaemonSetSpec,
  status: DaemonSetStatus.optional(),
});
export type DaemonSet = z.infer<typeof DaemonSet>;

export const JobSpec = z.strictObject({
  template: PodTemplateSpec,
  completions: z.number().int().min(0).optional(),
  parallelism: z.number().int().min(0).optional(),
  backoffLimit: z.number().int().min(0).optional(),
  activeDeadlineSeconds: Seconds(1).optional(),
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
export const Job = z.strictObject({
  ...objectShape('batch/v1', 'Job'),
  spec: JobSpec,
  status: JobStatus.optional(),
});
export type Job = z.infer<typeof Job>;
