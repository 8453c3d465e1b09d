/**
 * Kinds the hub answers but never stores, described in the OpenAPI documents so that `kubectl
 * explain` knows them: the `authorization.k8s.io/v1` reviews and `authentication.k8s.io/v1`
 * SelfSubjectReview (create only), and the
 * `metrics.k8s.io/v1beta1` usage kinds and `v1` ComponentStatus (read only), and `v1` Binding
 * (create only). Their schemas are `src/api`'s, as for the stored kinds; the routes that answer them
 * are `access-review-route.ts`, `metrics-api-routes.ts`, `component-status-routes.ts` and
 * `binding-route.ts`.
 */
import {
  AUTHENTICATION_GROUP,
  Binding,
  ComponentStatus,
  AUTHORIZATION_GROUP,
  LocalSubjectAccessReview,
  METRICS_GROUP,
  METRICS_RESOURCES,
  METRICS_VERSION,
  NodeMetrics,
  PodMetrics,
  SelfSubjectAccessReview,
  SelfSubjectReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
  type ResourceType,
} from '../../../api/index.js';

/** An answered kind: its type (never in the registry) and what is served for it. */
export interface AnsweredType extends ResourceType {
  /** `create`: POST to the collection, answered at once; `read`: list and get. */
  answers: 'create' | 'read';
}

function answered(
  t: Pick<ResourceType, 'group' | 'version' | 'kind' | 'plural' | 'namespaced' | 'schema'>,
  answers: AnsweredType['answers'],
): AnsweredType {
  return { ...t, singular: t.kind.toLowerCase(), shortNames: [], hasStatus: false, hasScale: false, answers };
}

const review = (
  kind: string,
  schema: ResourceType['schema'],
  namespaced = false,
  group = AUTHORIZATION_GROUP,
): AnsweredType =>
  answered({ group, version: 'v1', kind, plural: `${kind.toLowerCase()}s`, namespaced, schema }, 'create');

const metricsSchemas: Record<string, ResourceType['schema']> = { NodeMetrics, PodMetrics };

/** Every answered kind, in discovery's order. */
export const ANSWERED_TYPES: readonly AnsweredType[] = [
  review('SelfSubjectAccessReview', SelfSubjectAccessReview),
  review('SelfSubjectRulesReview', SelfSubjectRulesReview),
  review('SubjectAccessReview', SubjectAccessReview),
  review('LocalSubjectAccessReview', LocalSubjectAccessReview, true),
  review('SelfSubjectReview', SelfSubjectReview, false, AUTHENTICATION_GROUP),
  ...METRICS_RESOURCES.map((r) =>
    answered(
      {
        group: METRICS_GROUP,
        version: METRICS_VERSION,
        kind: r.kind,
        plural: r.name,
        namespaced: r.namespaced,
        schema: metricsSchemas[r.kind]!,
      },
      'read',
    ),
  ),
  // Another scheduler's placement, POSTed to the namespace's collection (binding-route.ts).
  answered(
    { group: '', version: 'v1', kind: 'Binding', plural: 'bindings', namespaced: true, schema: Binding },
    'create',
  ),
  answered(
    {
      group: '',
      version: 'v1',
      kind: 'ComponentStatus',
      plural: 'componentstatuses',
      namespaced: false,
      schema: ComponentStatus,
    },
    'read',
  ),
];

/** Whether a kind is answered rather than stored. */
export function isAnswered(t: ResourceType): t is AnsweredType {
  return 'answers' in t;
}
