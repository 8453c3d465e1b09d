/**
 * The protobuf messages the hub speaks, as protobufjs descriptors: field numbers and types copied from
 * Kubernetes' generated `.proto` files (`k8s.io/apimachinery/pkg/runtime`, `pkg/apis/meta/v1`,
 * `k8s.io/api/authorization/v1`, `k8s.io/api/authentication/v1`). Only the fields the hub reads or writes are declared: protobufjs
 * skips the others when decoding (a newer kubectl's additions are ignored, not refused), and
 * `ObjectMeta` keeps only names and labels (a review's metadata is not stored).
 * For the stored kinds, the messages carry what `kubectl create namespace|configmap|secret|deployment|
 * service|job|role|rolebinding|clusterrole|clusterrolebinding` and `kubectl drain` (DeleteOptions)
 * send; a status is never read from a create.
 */
import { Root, type Type } from 'protobufjs';

type Fields = Record<string, { id: number; type: string; rule?: 'repeated'; keyType?: string }>;
const opt = (id: number, type = 'string') => ({ id, type });
const rep = (id: number, type = 'string') => ({ id, type, rule: 'repeated' as const });
const map = (id: number, type = 'string') => ({ id, type, keyType: 'string' });

/** Message name → fields; one flat namespace (names never reach the wire). */
const MESSAGES: Record<string, Fields> = {
  // k8s.io/apimachinery/pkg/runtime
  TypeMeta: { apiVersion: opt(1), kind: opt(2) },
  Unknown: { typeMeta: opt(1, 'TypeMeta'), raw: opt(2, 'bytes'), contentEncoding: opt(3), contentType: opt(4) },
  // k8s.io/apimachinery/pkg/apis/meta/v1
  ObjectMeta: {
    name: opt(1),
    generateName: opt(2),
    namespace: opt(3),
    uid: opt(5),
    resourceVersion: opt(6),
    labels: map(11),
    annotations: map(12),
    finalizers: rep(14),
  },
  // Pointer fields (gracePeriodSeconds, propagationPolicy…) are on the wire only when set.
  Preconditions: { uid: opt(1), resourceVersion: opt(2) },
  DeleteOptions: {
    gracePeriodSeconds: opt(1, 'int64'),
    preconditions: opt(2, 'Preconditions'),
    orphanDependents: opt(3, 'bool'),
    propagationPolicy: opt(4),
    dryRun: rep(5),
  },
  LabelSelector: { matchLabels: map(1), matchExpressions: rep(2, 'SelectorRequirement') },
  // k8s.io/api/core/v1: what kubectl create namespace|configmap|secret|deployment send.
  NamespaceSpec: { finalizers: rep(1) },
  Namespace: { metadata: opt(1, 'ObjectMeta'), spec: opt(2, 'NamespaceSpec') },
  ConfigMap: { metadata: opt(1, 'ObjectMeta'), data: map(2), binaryData: map(3, 'bytes'), immutable: opt(4, 'bool') },
  Secret: {
    metadata: opt(1, 'ObjectMeta'),
    data: map(2, 'bytes'),
    type: opt(3),
    stringData: map(4),
    immutable: opt(5, 'bool'),
  },
  ContainerPort: { name: opt(1), hostPort: opt(2, 'int32'), containerPort: opt(3, 'int32'), protocol: opt(4) },
  EnvVar: { name: opt(1), value: opt(2) },
  Container: {
    name: opt(1),
    image: opt(2),
    command: rep(3),
    args: rep(4),
    workingDir: opt(5),
    ports: rep(6, 'ContainerPort'),
    env: rep(7, 'EnvVar'),
  },
  PodSpec: { containers: rep(2, 'Container'), restartPolicy: opt(3), nodeSelector: map(7) },
  PodTemplateSpec: { metadata: opt(1, 'ObjectMeta'), spec: opt(2, 'PodSpec') },
  // k8s.io/api/apps/v1
  DeploymentStrategy: { type: opt(1) },
  DeploymentSpec: {
    replicas: opt(1, 'int32'),
    selector: opt(2, 'LabelSelector'),
    template: opt(3, 'PodTemplateSpec'),
    strategy: opt(4, 'DeploymentStrategy'),
    minReadySeconds: opt(5, 'int32'),
    revisionHistoryLimit: opt(6, 'int32'),
    paused: opt(7, 'bool'),
    progressDeadlineSeconds: opt(9, 'int32'),
  },
  Deployment: { metadata: opt(1, 'ObjectMeta'), spec: opt(2, 'DeploymentSpec') },
  // k8s.io/apimachinery/pkg/util/intstr: `type` 0 is intVal, 1 strVal (codec.ts makes it JSON's number or string).
  IntOrString: { type: opt(1, 'int64'), intVal: opt(2, 'int32'), strVal: opt(3) },
  // core/v1 Service: what kubectl create service clusterip|nodeport|loadbalancer|externalname send.
  ServicePort: {
    name: opt(1),
    protocol: opt(2),
    port: opt(3, 'int32'),
    targetPort: opt(4, 'IntOrString'),
    nodePort: opt(5, 'int32'),
    appProtocol: opt(6),
  },
  ServiceSpec: {
    ports: rep(1, 'ServicePort'),
    selector: map(2),
    clusterIP: opt(3),
    type: opt(4),
    externalIPs: rep(5),
    sessionAffinity: opt(7),
    externalName: opt(10),
    externalTrafficPolicy: opt(11),
    publishNotReadyAddresses: opt(13, 'bool'),
    ipFamilyPolicy: opt(17),
    clusterIPs: rep(18),
    ipFamilies: rep(19),
    internalTrafficPolicy: opt(22),
  },
  Service: { metadata: opt(1, 'ObjectMeta'), spec: opt(2, 'ServiceSpec') },
  // k8s.io/api/batch/v1: what kubectl create job sends.
  JobSpec: {
    parallelism: opt(1, 'int32'),
    completions: opt(2, 'int32'),
    activeDeadlineSeconds: opt(3, 'int64'),
    selector: opt(4, 'LabelSelector'),
    manualSelector: opt(5, 'bool'),
    template: opt(6, 'PodTemplateSpec'),
    backoffLimit: opt(7, 'int32'),
    ttlSecondsAfterFinished: opt(8, 'int32'),
    completionMode: opt(9),
    suspend: opt(10, 'bool'),
  },
  Job: { metadata: opt(1, 'ObjectMeta'), spec: opt(2, 'JobSpec') },
  // k8s.io/api/rbac/v1: what kubectl create role|clusterrole|rolebinding|clusterrolebinding send.
  PolicyRule: { verbs: rep(1), apiGroups: rep(2), resources: rep(3), resourceNames: rep(4), nonResourceURLs: rep(5) },
  Subject: { kind: opt(1), apiGroup: opt(2), name: opt(3), namespace: opt(4) },
  RoleRef: { apiGroup: opt(1), kind: opt(2), name: opt(3) },
  AggregationRule: { clusterRoleSelectors: rep(1, 'LabelSelector') },
  Role: { metadata: opt(1, 'ObjectMeta'), rules: rep(2, 'PolicyRule') },
  ClusterRole: {
    metadata: opt(1, 'ObjectMeta'),
    rules: rep(2, 'PolicyRule'),
    aggregationRule: opt(3, 'AggregationRule'),
  },
  RoleBinding: { metadata: opt(1, 'ObjectMeta'), subjects: rep(2, 'Subject'), roleRef: opt(3, 'RoleRef') },
  ClusterRoleBinding: { metadata: opt(1, 'ObjectMeta'), subjects: rep(2, 'Subject'), roleRef: opt(3, 'RoleRef') },
  SelectorRequirement: { key: opt(1), operator: opt(2), values: rep(3) },
  // k8s.io/api/authorization/v1
  SelectorAttributes: { rawSelector: opt(1), requirements: rep(2, 'SelectorRequirement') },
  ResourceAttributes: {
    namespace: opt(1),
    verb: opt(2),
    group: opt(3),
    version: opt(4),
    resource: opt(5),
    subresource: opt(6),
    name: opt(7),
    fieldSelector: opt(8, 'SelectorAttributes'),
    labelSelector: opt(9, 'SelectorAttributes'),
  },
  NonResourceAttributes: { path: opt(1), verb: opt(2) },
  ExtraValue: { items: rep(1) },
  SubjectAccessReviewSpec: {
    resourceAttributes: opt(1, 'ResourceAttributes'),
    nonResourceAttributes: opt(2, 'NonResourceAttributes'),
    user: opt(3),
    groups: rep(4),
    extra: map(5, 'ExtraValue'),
    uid: opt(6),
  },
  SelfSubjectAccessReviewSpec: {
    resourceAttributes: opt(1, 'ResourceAttributes'),
    nonResourceAttributes: opt(2, 'NonResourceAttributes'),
  },
  SubjectAccessReviewStatus: {
    allowed: opt(1, 'bool'),
    reason: opt(2),
    evaluationError: opt(3),
    denied: opt(4, 'bool'),
  },
  SubjectAccessReview: {
    metadata: opt(1, 'ObjectMeta'),
    spec: opt(2, 'SubjectAccessReviewSpec'),
    status: opt(3, 'SubjectAccessReviewStatus'),
  },
  SelfSubjectAccessReview: {
    metadata: opt(1, 'ObjectMeta'),
    spec: opt(2, 'SelfSubjectAccessReviewSpec'),
    status: opt(3, 'SubjectAccessReviewStatus'),
  },
  ResourceRule: { verbs: rep(1), apiGroups: rep(2), resources: rep(3), resourceNames: rep(4) },
  NonResourceRule: { verbs: rep(1), nonResourceURLs: rep(2) },
  SelfSubjectRulesReviewSpec: { namespace: opt(1) },
  SubjectRulesReviewStatus: {
    resourceRules: rep(1, 'ResourceRule'),
    nonResourceRules: rep(2, 'NonResourceRule'),
    incomplete: opt(3, 'bool'),
    evaluationError: opt(4),
  },
  SelfSubjectRulesReview: {
    metadata: opt(1, 'ObjectMeta'),
    spec: opt(2, 'SelfSubjectRulesReviewSpec'),
    status: opt(3, 'SubjectRulesReviewStatus'),
  },
  // k8s.io/api/authentication/v1
  UserInfo: { username: opt(1), uid: opt(2), groups: rep(3), extra: map(4, 'ExtraValue') },
  SelfSubjectReviewStatus: { userInfo: opt(1, 'UserInfo') },
  SelfSubjectReview: { metadata: opt(1, 'ObjectMeta'), status: opt(2, 'SelfSubjectReviewStatus') },
};
// LocalSubjectAccessReview has SubjectAccessReview's fields.
MESSAGES.LocalSubjectAccessReview = MESSAGES.SubjectAccessReview!;

// proto2 (explicit presence), as Kubernetes' .proto files: a field on the wire is kept even at its zero
// value (`replicas: 0` of `kubectl create deployment --replicas=0`), an absent one stays absent.
const root = Root.fromJSON({
  nested: Object.fromEntries(Object.entries(MESSAGES).map(([name, fields]) => [name, { edition: 'proto2', fields }])),
});

/** The protobufjs type of message `name` (one declared above). */
export function protobufType(name: string): Type {
  return root.lookupType(name);
}

/** Whether kind `kind` has a message here. */
export function hasProtobufMessage(kind: string): boolean {
  return Object.prototype.hasOwnProperty.call(MESSAGES, kind);
}
