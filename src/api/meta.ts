/**
 * Object metadata and the small shared shapes of the Kubernetes API (owner references, conditions,
 * label selectors). Every schema is strict: an unknown field is an error naming its path.
 */
import { z } from 'zod';
import { Quantity } from './quantity.js';
import { Seconds } from './duration.js';

/** RFC 1123 subdomain, as Kubernetes requires of most object names. */
export const DnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    message:
      "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  });

/** RFC 1123 label (namespaces, service names, container names). */
export const DnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    message:
      "must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
  });

const LABEL_KEY_RE =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A qualified name, as Kubernetes requires of label keys: an optional DNS-subdomain prefix of at
 * most 253 characters and `/`, then a name of at most 63 (the regex bounds the name, the refine the prefix).
 */
export const LabelKey = z
  .string()
  .regex(LABEL_KEY_RE, { message: 'must be a valid label key (optional DNS prefix/, then name)' })
  .refine((k) => !k.includes('/') || k.indexOf('/') <= 253, {
    message: 'Too long: the prefix part must be no more than 253 characters',
  });
export const LabelValue = z.string().max(63).regex(LABEL_VALUE_RE, { message: 'must be a valid label value' });
export const Labels = z.record(LabelKey, LabelValue);

/** Kubernetes' bound on all annotations of one object together: keys plus values, in UTF-8 bytes. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** Annotations: any string keys and values, at most `MAX_ANNOTATIONS_BYTES` in all, as Kubernetes (TotalAnnotationSizeLimitB). */
export const Annotations = z.record(z.string(), z.string()).superRefine((annotations, ctx) => {
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) size += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8');
  if (size > MAX_ANNOTATIONS_BYTES)
    ctx.addIssue({ code: 'custom', message: `Too long: must have at most ${MAX_ANNOTATIONS_BYTES} bytes` });
});

/** A Kubernetes quantity (defined with its bounds in quantity.ts; re-exported here, where schemas used to find it). */
export { Quantity };

export const OwnerReference = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof OwnerReference>;

/** A FieldsV1 trie: `f:<field>`, `k:<keys json>`, `v:<value json>`, `.` (the node itself) → children. */
export type FieldsV1 = { [element: string]: FieldsV1 };

/**
 * Where `value` stops being a FieldsV1 trie (a plain object whose every value is one, all the way
 * down), as a path below it; undefined when it is one. Iterative, and each node is looked at once:
 * an in-process object with a cycle or shared subtrees neither loops nor multiplies the walk.
 */
function trieFault(value: unknown): string[] | undefined {
  // Each node links to its parent: a path is spelled out only for the node at fault.
  type At = { v: unknown; key: string; up: At | undefined };
  const pathOf = (at: At): string[] => {
    const path: string[] = [];
    for (let a: At | undefined = at; a?.up; a = a.up) path.unshift(a.key);
    return path;
  };
  const seen = new WeakSet<object>();
  const stack: At[] = [{ v: value, key: '', up: undefined }];
  while (stack.length > 0) {
    const at = stack.pop()!;
    const { v } = at;
    if (v === null || typeof v !== 'object') return pathOf(at);
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return pathOf(at);
    if (seen.has(v)) continue;
    seen.add(v);
    for (const [key, child] of Object.entries(v)) stack.push({ v: child, key, up: at });
  }
  return undefined;
}

/**
 * A FieldsV1 trie, checked by a function rather than a recursive (`z.lazy`) schema: a cycle anywhere in
 * a kind's schema keeps `z.compile` from compiling that kind (api/compiled-schemas.ts), and every kind's
 * metadata holds this one. An issue names the node that is not an object, as the recursive schema did.
 */
export const FieldsV1: z.ZodType<FieldsV1> = z.custom<FieldsV1>().superRefine((value, ctx) => {
  const path = trieFault(value);
  if (path !== undefined)
    ctx.addIssue({ code: 'custom', path, message: 'expected an object (a node of a FieldsV1 trie)', input: value });
});

/** One field manager's ownership (`metadata.managedFields[]`), as server-side apply records it. */
export const ManagedFieldsEntry = z.strictObject({
  manager: z.string().max(128),
  operation: z.enum(['Apply', 'Update']),
  apiVersion: z.string(),
  time: z.string().optional(),
  fieldsType: z.literal('FieldsV1'),
  fieldsV1: FieldsV1,
  subresource: z.string().optional(),
});
export type ManagedFieldsEntry = z.infer<typeof ManagedFieldsEntry>;

export const ObjectMeta = z.strictObject({
  name: DnsSubdomain.optional().describe(
    'Name of the object, unique among objects of its kind in its namespace (an RFC 1123 subdomain).',
  ),
  generateName: z
    .string()
    .optional()
    .describe('Prefix of a name the hub generates (with a random suffix) when `name` is not given.'),
  namespace: DnsLabel.optional().describe('Namespace of a namespaced object; `default` when not given.'),
  uid: z.string().optional().describe('Unique id the hub gives the object at creation. Read-only.'),
  labels: Labels.optional().describe('Key/value pairs that selectors (Services, workloads, `kubectl get -l`) match.'),
  annotations: Annotations.optional().describe(
    'Key/value pairs for tools and people, not used for selection; at most 256 KiB in all.',
  ),
  generation: z
    .number()
    .int()
    .optional()
    .describe('Sequence number of the desired state: the hub bumps it on every change of `spec`. Read-only.'),
  resourceVersion: z
    .string()
    .optional()
    .describe(
      'Opaque version of the object (the cluster-wide revision of its last write); an update carrying a stale one is refused with 409 Conflict.',
    ),
  creationTimestamp: z.string().optional().describe('When the hub created the object (RFC 3339, UTC). Read-only.'),
  deletionTimestamp: z
    .string()
    .optional()
    .describe('When the object is due to be deleted: set by a graceful delete, or while finalizers remain. Read-only.'),
  deletionGracePeriodSeconds: Seconds(0)
    .optional()
    .describe('Seconds the object is given to terminate after its deletion was requested. Read-only.'),
  ownerReferences: z
    .array(OwnerReference)
    .optional()
    .describe(
      'The objects this one depends on; when its controller owner is deleted, the garbage collector deletes it too.',
    ),
  finalizers: z
    .array(z.string())
    .optional()
    .describe('Names that must be removed before the object is deleted from storage.'),
  managedFields: z
    .array(ManagedFieldsEntry)
    .optional()
    .describe(
      'Which field manager owns which fields (server-side apply); kubectl hides it unless --show-managed-fields.',
    ),
});
export type ObjectMeta = z.infer<typeof ObjectMeta>;

export const ConditionStatus = z.enum(['True', 'False', 'Unknown']);
export type ConditionStatus = z.infer<typeof ConditionStatus>;

/** A status condition (`Ready`, `Available`, …) as in metav1.Condition / the core v1 variants. */
export const Condition = z.strictObject({
  type: z.string(),
  status: ConditionStatus,
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  lastHeartbeatTime: z.string().optional(),
  lastProbeTime: z.string().nullable().optional(),
  lastUpdateTime: z.string().optional(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof Condition>;

export const LabelSelectorRequirement = z.strictObject({
  key: LabelKey,
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: z.array(z.string()).optional(),
});

/** `matchLabels` + `matchExpressions`, as in metav1.LabelSelector. */
export const LabelSelector = z
  .strictObject({
    matchLabels: Labels.optional().describe('Labels an object must all carry to match.'),
    matchExpressions: z
      .array(LabelSelectorRequirement)
      .optional()
      .describe('Requirements (In, NotIn, Exists, DoesNotExist) an object must all meet to match.'),
  })
  .describe('Selects objects by their labels; an empty selector selects everything.');
export type LabelSelector = z.infer<typeof LabelSelector>;

/** Fields every top-level object has, before `spec`/`status`. */
export function objectShape<K extends string, A extends string>(apiVersion: A, kind: K) {
  return {
    apiVersion: z.literal(apiVersion),
    kind: z.literal(kind),
    metadata: ObjectMeta.describe(
      'Standard object metadata: name, namespace, labels, annotations, and what the hub maintains (uid, resourceVersion, generation, timestamps).',
    ),
  };
}

/** The minimal view of any stored object: what the store and generic API code rely on. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  [extra: string]: unknown;
}
