/** apps/v1 ReplicaSet and Deployment. */
import { z } from 'zod';
import { Condition, LabelSelector, objectShape } from './meta.js';
import { PodTemplateSpec } from './pod.js';

const IntOrPercent = z.union([z.number().int().min(0), z.string().regex(/^[0-9]+%$/, { message: 'must be an integer or a percentage such as 25%' })]);

export const ReplicaSetSpec = z.strictObject({
  replicas: z.number().int().min(0).optional(),
  minReadySeconds: z.number().int().min(0).optional(),
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
  rollingUpdate: z.strictObject({ maxSurge: IntOrPercent.optional(), maxUnavailable: IntOrPercent.optional() }).optional(),
});

export const DeploymentSpec = z.strictObject({
  replicas: z.number().int().min(0).optional(),
  selector: LabelSelector,
  template: PodTemplateSpec,
  strategy: DeploymentStrategy.optional(),
  minReadySeconds: z.number().int().min(0).optional(),
  revisionHistoryLimit: z.number().int().min(0).optional(),
  progressDeadlineSeconds: z.number().int().min(1).optional(),
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
