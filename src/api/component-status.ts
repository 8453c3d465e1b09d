/**
 * `v1` ComponentStatus as kube-apiserver still serves it (`kubectl get componentstatuses`, `cs`): one
 * object per part of the control plane with one `Healthy` condition. Read-only and answered, never
 * stored. Edgeplane's parts: the scheduler and controllers (run by the leader hub), every hub of the
 * cluster, and every etcd member (or the SQLite store).
 */
import { z } from 'zod';

/** A component's one condition: `Healthy`, True/False/Unknown, with a message or an error. */
export const ComponentCondition = z.strictObject({
  type: z.literal('Healthy'),
  status: z.enum(['True', 'False', 'Unknown']),
  message: z.string().max(4096).optional(),
  error: z.string().max(4096).optional(),
});
export type ComponentCondition = z.infer<typeof ComponentCondition>;

export const ComponentStatus = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ComponentStatus'),
  metadata: z.strictObject({ name: z.string(), creationTimestamp: z.string().optional() }),
  conditions: z.array(ComponentCondition),
});
export type ComponentStatus = z.infer<typeof ComponentStatus>;

export const ComponentStatusList = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ComponentStatusList'),
  metadata: z.looseObject({ resourceVersion: z.string().optional() }),
  items: z.array(ComponentStatus),
});
export type ComponentStatusList = z.infer<typeof ComponentStatusList>;
