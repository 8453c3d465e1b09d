/** v1 Event: a record of a decision or an observation, attached to an object. */
import { z } from 'zod';
import { objectShape } from './meta.js';

export const ObjectReference = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  fieldPath: z.string().optional(),
  resourceVersion: z.string().optional(),
});
export type ObjectReference = z.infer<typeof ObjectReference>;

export const Event = z.strictObject({
  ...objectShape('v1', 'Event'),
  involvedObject: ObjectReference,
  reason: z.string().optional(),
  message: z.string().optional(),
  type: z.enum(['Normal', 'Warning']).optional(),
  count: z.number().int().optional(),
  firstTimestamp: z.string().optional(),
  lastTimestamp: z.string().optional(),
  source: z.strictObject({ component: z.string().optional(), host: z.string().optional() }).optional(),
  reportingComponent: z.string().optional(),
  reportingInstance: z.string().optional(),
});
export type Event = z.infer<typeof Event>;
