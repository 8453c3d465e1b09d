/**
 * Which fields a `fieldSelector` may name, per kind, as Kubernetes restricts them: a kind with its
 * own field label conversion function (`pkg/apis/core/v1/conversion.go`, `apps/v1`, `batch/v1`)
 * takes its list and answers anything else with "field label not supported: X"; every other kind
 * takes only `metadata.name` and `metadata.namespace` and answers with apimachinery's default
 * wording. How a field reads on an object is here too, where it is not the plain dotted path
 * (booleans and counts that Kubernetes prints as "false"/"0" when unset, Event's `source`).
 */

/** Kinds with their own field labels (Kubernetes' conversion functions), by kind name. */
const BY_KIND: Readonly<Record<string, readonly string[]>> = {
  Pod: [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
    // Old v1 clients' name for spec.nodeName.
    'spec.host',
  ],
  Node: ['metadata.name', 'spec.unschedulable'],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
    'metadata.namespace',
    'metadata.name',
  ],
  Namespace: ['status.phase', 'metadata.name'],
  Secret: ['type', 'metadata.namespace', 'metadata.name'],
  Service: ['metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type'],
  ReplicaSet: ['metadata.name', 'metadata.namespace', 'status.replicas'],
  Job: ['metadata.name', 'metadata.namespace', 'status.successful'],
};

/** What every other kind takes (apimachinery's `DefaultMetaV1FieldSelectorConversion`). */
const DEFAULT_FIELDS: readonly string[] = ['metadata.name', 'metadata.namespace'];

/** Every field label some kind takes: the check when the kind is not known (e.g. metrics.k8s.io). */
export const ALL_FIELD_LABELS: readonly string[] = [...new Set(Object.values(BY_KIND).flat())];

/**
 * Why `field` cannot select `kind` (Kubernetes' wording), or undefined when it can. Without a kind,
 * any field some kind takes is accepted.
 */
export function unsupportedFieldLabel(kind: string | undefined, field: string): string | undefined {
  if (kind === undefined) return ALL_FIELD_LABELS.includes(field) ? undefined : `field label not supported: ${field}`;
  const own = BY_KIND[kind];
  if (own) return own.includes(field) ? undefined : `field label not supported: ${field}`;
  return DEFAULT_FIELDS.includes(field)
    ? undefined
    : `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`;
}

/** Labels that are another label's old name. */
const ALIASES: Readonly<Record<string, string>> = { 'spec.host': 'spec.nodeName' };

/** The label a requirement on `field` is kept under (an alias resolved). */
export function canonicalFieldLabel(field: string): string {
  return ALIASES[field] ?? field;
}

const at = (obj: unknown, path: string): unknown => {
  let cur: unknown = obj;
  for (const part of path.split('.'))
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
  return cur;
};

/** Fields whose value is not the dotted path read as a string ("" when absent). */
const READERS: Readonly<Record<string, (obj: unknown) => string[]>> = {
  // Kubernetes formats these with strconv/fmt, so unset reads as "false" or "0".
  'spec.hostNetwork': (o) => [String(at(o, 'spec.hostNetwork') === true)],
  'spec.unschedulable': (o) => [String(at(o, 'spec.unschedulable') === true)],
  'status.replicas': (o) => [String(Number(at(o, 'status.replicas') ?? 0))],
  'status.successful': (o) => [String(Number(at(o, 'status.succeeded') ?? 0))],
  source: (o) => [scalar(at(o, 'source.component'))],
  // Any of the pod's addresses.
  'status.podIPs': (o) => {
    const ips = at(o, 'status.podIPs');
    return Array.isArray(ips) ? ips.map((p) => scalar(at(p, 'ip'))) : [''];
  },
};

function scalar(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  // A missing field (or one that is not a scalar: no field label names one) reads as "".
  return '';
}

/** The values `field` has on `obj` (one, except for list fields); a missing field reads as "". */
export function fieldValues(obj: unknown, field: string): string[] {
  const read = READERS[field];
  return read ? read(obj) : [scalar(at(obj, field))];
}
