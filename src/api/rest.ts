/**
 * The REST shapes both sides of the hub's API share, beyond the resource kinds themselves: lists,
 * watch events, delete options, the `/scale` subresource, exec answers, blob references and
 * `/version`. The hub builds its answers as these types and validates what clients send with them;
 * `EdgeClient` validates what it receives with them. `Status` (errors) lives in status.ts.
 *
 * What a client receives is read leniently (loose objects: a newer hub may add fields, as Kubernetes
 * clients ignore unknown ones); what the hub receives is read strictly (an unknown field is refused).
 */
import { z } from 'zod';
import { Seconds } from './duration.js';
import type { KubeObject } from './meta.js';
import { Status } from './status.js';

/**
 * The envelope of any object on the wire: apiVersion, kind and the metadata a client relies on. The
 * kind's own schema (applied by the hub on every write) checks the rest, so a client need not.
 */
export const ObjectEnvelope = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({
    name: z.string().optional(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
  }),
});
export type ObjectEnvelope = z.infer<typeof ObjectEnvelope>;

/** `metadata` of a list: the revision it was read at (a watch resumes from it). */
export const ListMeta = z.looseObject({
  resourceVersion: z.string().optional(),
  continue: z.string().optional(),
  remainingItemCount: z.number().int().nonnegative().optional(),
});
export type ListMeta = z.infer<typeof ListMeta>;

/** A list as the API returns it (`PodList`, …). */
export const ObjectList = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: ListMeta,
  items: z.array(ObjectEnvelope),
});
/** A list whose items are of kind `T` (the schema checks their envelope; the hub checked the rest). */
export type ObjectList<T extends KubeObject = KubeObject> = Pick<
  z.infer<typeof ObjectList>,
  'apiVersion' | 'kind' | 'metadata'
> & { items: T[] };

/** Types of the events a watch delivers (an `ERROR` event ends the watch instead). */
export const WatchEventType = z.enum(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);
export type WatchEventType = z.infer<typeof WatchEventType>;

/** One line of a watch stream: an event about an object, or an `ERROR` carrying a Status. */
export const WatchFrame = z.discriminatedUnion('type', [
  z.strictObject({ type: WatchEventType, object: ObjectEnvelope }),
  z.strictObject({ type: z.literal('ERROR'), object: Status }),
]);
export type WatchFrame = z.infer<typeof WatchFrame>;

/** One watch event about an object of kind `T`. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

/** How dependents of a deleted object are treated. */
export const PropagationPolicy = z.enum(['Background', 'Orphan', 'Foreground']);
export type PropagationPolicy = z.infer<typeof PropagationPolicy>;

/** The body of a DELETE (its fields may also come as query parameters). */
export const DeleteOptions = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.literal('DeleteOptions').optional(),
  /** 0 = immediately; absent = the object's default grace period. */
  gracePeriodSeconds: Seconds(0).optional(),
  propagationPolicy: PropagationPolicy.optional(),
  orphanDependents: z.boolean().optional(),
  preconditions: z.strictObject({ uid: z.string().optional(), resourceVersion: z.string().optional() }).optional(),
});
export type DeleteOptions = z.infer<typeof DeleteOptions>;

/**
 * v1 Binding, the body of `POST …/pods/<name>/binding`: what another scheduler sends to put the pod on
 * `target`, a Node. Its metadata names the pod (the URL's name, if given at all).
 */
export const Binding = z.strictObject({
  apiVersion: z.literal('v1').optional(),
  kind: z.literal('Binding').optional(),
  metadata: z.looseObject({ name: z.string().optional(), namespace: z.string().optional() }).optional(),
  target: z.looseObject({
    apiVersion: z.literal('v1').optional(),
    kind: z.literal('Node').optional(),
    name: z.string().min(1),
  }),
});
export type Binding = z.infer<typeof Binding>;

/** autoscaling/v1 Scale, as the hub answers on the `/scale` subresource. */
export const Scale = z.looseObject({
  apiVersion: z.literal('autoscaling/v1'),
  kind: z.literal('Scale'),
  metadata: z.looseObject({
    name: z.string().optional(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
    creationTimestamp: z.string().optional(),
  }),
  spec: z.looseObject({ replicas: z.number().int().min(0).optional() }),
  status: z.looseObject({ replicas: z.number().int().min(0), selector: z.string().optional() }).optional(),
});
export type Scale = z.infer<typeof Scale>;

/** What a client may send to `/scale`: a Scale whose `spec.replicas` is all that is read. */
export const ScaleUpdate = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.literal('Scale').optional(),
  metadata: z
    .looseObject({
      name: z.string().optional(),
      namespace: z.string().optional(),
      resourceVersion: z.string().optional(),
    })
    .optional(),
  spec: z.strictObject({ replicas: z.number().int().min(0) }),
  status: z.unknown().optional(),
});
export type ScaleUpdate = z.infer<typeof ScaleUpdate>;

/** The answer of `POST …/pods/{name}/exec`: how the command ended and what it wrote. */
export const PodExecResult = z.looseObject({
  exitCode: z.number().int(),
  stdout: z.string(),
  stderr: z.string(),
});
export type PodExecResult = z.infer<typeof PodExecResult>;

/** The answer of a blob upload: the content's digest and size. */
export const BlobRef = z.looseObject({
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: 'must be sha256:<64 hex digits>' }),
  size: z.number().int().min(0),
});
export type BlobRef = z.infer<typeof BlobRef>;

/** The answer of `/version` (Kubernetes' `version.Info` shape; every field optional). */
export const ServerVersion = z.looseObject({
  major: z.string().optional(),
  minor: z.string().optional(),
  gitVersion: z.string().optional(),
  platform: z.string().optional(),
});
export type ServerVersion = z.infer<typeof ServerVersion>;
