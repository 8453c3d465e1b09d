/**
 * Patch metadata of the built-in kinds: for each field that is not a plain granular struct or map,
 * how strategic merge patch and server-side apply treat it. This is the one table: the hub's
 * strategic merge patch and its field manager read it, and an OpenAPI generator can emit
 * `x-kubernetes-patch-merge-key` / `x-kubernetes-patch-strategy` / `x-kubernetes-list-type` /
 * `x-kubernetes-list-map-keys` from it.
 *
 * The facts are Kubernetes' own: the `patchMergeKey`/`patchStrategy` struct tags and the
 * `+listType`/`+listMapKey` markers of `k8s.io/api`. A list with no entry here is atomic (strategic
 * merge patch replaces it whole; server-side apply owns it as one field), as in Kubernetes.
 */

/** How a field merges. */
export interface PatchField {
  /** `merge`: lists merge (by `mergeKey` for objects, as a set for scalars); `replace`: replaced whole. */
  strategy?: 'merge' | 'replace';
  /** `patchStrategy:"retainKeys"`: a patch may clear the other keys of this object (union types). */
  retainKeys?: boolean;
  /** `patchMergeKey`: the key that identifies an element of a merging list of objects. */
  mergeKey?: string;
  /** Server-side apply's list type: `map` (keyed by `mapKeys`), `set` (scalars), else atomic. */
  listType?: 'map' | 'set' | 'atomic';
  /** `+listMapKey`s, in order; an absent key takes `keyDefaults`' value (protocol: TCP). */
  mapKeys?: readonly string[];
  keyDefaults?: Readonly<Record<string, unknown>>;
  /** A map/struct whose value is owned whole by server-side apply (`+mapType=atomic`, `+structType=atomic`). */
  atomic?: boolean;
  /** The metadata of the value (a struct) or of each element (a list of structs). */
  node?: PatchNode;
}

/** The fields of a struct that have metadata; any other field is a granular struct/map or a scalar. */
export interface PatchNode {
  readonly fields: Readonly<Record<string, PatchField>>;
}

const node = (fields: Record<string, PatchField>): PatchNode => ({ fields });
const keyed = (key: string, elem?: PatchNode, extra: Partial<PatchField> = {}): PatchField => ({
  strategy: 'merge',
  mergeKey: key,
  listType: 'map',
  mapKeys: [key],
  ...(elem ? { node: elem } : {}),
  ...extra,
});
const set: PatchField = { strategy: 'merge', listType: 'set' };

/** `metav1.Condition`-style lists, keyed by `type`. */
const CONDITIONS = keyed('type');

export const OBJECT_META_PATCH: PatchNode = node({
  finalizers: set,
  ownerReferences: keyed('uid'),
  // managedFields is written by the server's field manager, never merged.
  managedFields: { strategy: 'replace', listType: 'atomic' },
});

const LABEL_SELECTOR = node({ matchLabels: {}, matchExpressions: { listType: 'atomic' } });

export const CONTAINER_PATCH: PatchNode = node({
  ports: keyed('containerPort', undefined, {
    mapKeys: ['containerPort', 'protocol'],
    keyDefaults: { protocol: 'TCP' },
  }),
  env: keyed('name'),
  volumeMounts: keyed('mountPath'),
  volumeDevices: keyed('devicePath'),
});

export const POD_SPEC_PATCH: PatchNode = node({
  volumes: keyed('name', undefined, { retainKeys: true }),
  initContainers: keyed('name', CONTAINER_PATCH),
  containers: keyed('name', CONTAINER_PATCH),
  ephemeralContainers: keyed('name', CONTAINER_PATCH),
  imagePullSecrets: keyed('name'),
  hostAliases: keyed('ip'),
  topologySpreadConstraints: keyed('topologyKey', undefined, { mapKeys: ['topologyKey', 'whenUnsatisfiable'] }),
  schedulingGates: keyed('name'),
  resourceClaims: keyed('name', undefined, { retainKeys: true }),
  nodeSelector: {},
  // tolerations, readinessGates, affinity's terms: no patch tags in Kubernetes, so atomic.
});

const POD_TEMPLATE_PATCH: PatchNode = node({ metadata: { node: OBJECT_META_PATCH }, spec: { node: POD_SPEC_PATCH } });

const WORKLOAD_STATUS = node({ conditions: CONDITIONS });

function root(spec?: PatchNode, status?: PatchNode): PatchNode {
  return node({
    metadata: { node: OBJECT_META_PATCH },
    ...(spec ? { spec: { node: spec } } : {}),
    ...(status ? { status: { node: status } } : {}),
  });
}

/** Patch metadata by kind (the `kind` of the built-in resource types). */
export const PATCH_META: Readonly<Record<string, PatchNode>> = {
  Pod: root(
    POD_SPEC_PATCH,
    node({ conditions: CONDITIONS, podIPs: keyed('ip'), hostIPs: keyed('ip'), resourceClaimStatuses: keyed('name') }),
  ),
  Deployment: root(
    node({
      selector: { node: LABEL_SELECTOR, atomic: true },
      template: { node: POD_TEMPLATE_PATCH },
      strategy: { retainKeys: true },
    }),
    WORKLOAD_STATUS,
  ),
  ReplicaSet: root(
    node({ selector: { node: LABEL_SELECTOR, atomic: true }, template: { node: POD_TEMPLATE_PATCH } }),
    WORKLOAD_STATUS,
  ),
  DaemonSet: root(
    node({ selector: { node: LABEL_SELECTOR, atomic: true }, template: { node: POD_TEMPLATE_PATCH } }),
    WORKLOAD_STATUS,
  ),
  Job: root(node({ selector: { node: LABEL_SELECTOR }, template: { node: POD_TEMPLATE_PATCH } }), WORKLOAD_STATUS),
  Service: root(
    node({
      ports: keyed('port', undefined, { mapKeys: ['port', 'protocol'], keyDefaults: { protocol: 'TCP' } }),
      // `+mapType=atomic` in k8s.io/api: a Service selects by its whole selector, never a merge of two.
      selector: { atomic: true },
    }),
    node({ conditions: CONDITIONS }),
  ),
  Node: root(node({ podCIDRs: set }), node({ conditions: CONDITIONS, addresses: keyed('type') })),
  HorizontalPodAutoscaler: root(undefined, node({ conditions: CONDITIONS })),
  Namespace: root(undefined, node({ conditions: CONDITIONS })),
  ConfigMap: root(),
  Secret: root(),
  Endpoints: root(),
  Event: root(),
  ClusterRole: root(),
  ClusterRoleBinding: root(),
  Role: root(),
  RoleBinding: root(),
  Token: root(),
};

/** Metadata of the object root of `kind`; a kind without an entry gets ObjectMeta's only. */
export function patchMetaOf(kind: string): PatchNode {
  return PATCH_META[kind] ?? root();
}

/** The metadata of field `key` of a struct described by `n` (empty when the field has none). */
export function patchField(n: PatchNode | undefined, key: string): PatchField {
  return (n && Object.prototype.hasOwnProperty.call(n.fields, key) ? n.fields[key] : undefined) ?? {};
}
