/**
 * Kubernetes' names for OpenAPI definitions: `io.k8s.api.apps.v1.Deployment`,
 * `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`. A definition is named after the zod schema's
 * export in `src/api` and the package (group/version) it belongs to.
 */
import type { ResourceType } from '../../../api/index.js';

/** A JSON (OpenAPI) schema object, as generated and post-processed here. */
export type JsonSchema = { [key: string]: unknown };

/** apimachinery's meta/v1 package: shapes every group shares. */
export const META_PACKAGE = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** The schemas that live in meta/v1 in Kubernetes, whichever kind reaches them first. */
export const META_SCHEMAS: ReadonlySet<string> = new Set([
  'ObjectMeta',
  'ManagedFieldsEntry',
  'FieldsV1',
  'OwnerReference',
  'LabelSelector',
  'LabelSelectorRequirement',
  'Condition',
  'ListMeta',
  'Status',
  'DeleteOptions',
]);

/** Quantity and IntOrString: Kubernetes' two scalar types with named definitions. */
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** The `/scale` subresource's kind (autoscaling/v1 Scale), as Kubernetes names it. */
export const SCALE = 'io.k8s.api.autoscaling.v1.Scale';

/**
 * The Go package of a group/version as Kubernetes names its definitions: the core group is `core`,
 * `rbac.authorization.k8s.io` is `rbac`; a group outside k8s.io is its reversed domain
 * (`auth.edgeplane.io` → `io.edgeplane.auth`).
 */
export function packageOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  if (t.group === '') return `io.k8s.api.core.${t.version}`;
  // metrics-server's own package, as its OpenAPI names NodeMetrics and PodMetrics.
  if (t.group === 'metrics.k8s.io') return `io.k8s.metrics.pkg.apis.metrics.${t.version}`;
  if (t.group.endsWith('.k8s.io')) return `io.k8s.api.${t.group.split('.')[0] ?? t.group}.${t.version}`;
  if (!t.group.includes('.')) return `io.k8s.api.${t.group}.${t.version}`;
  return `${t.group.split('.').reverse().join('.')}.${t.version}`;
}

/** `#/components/schemas/<name>` (OpenAPI v3) for a definition name. */
export const v3Ref = (name: string): string => `#/components/schemas/${name}`;

/** The `x-kubernetes-group-version-kind` value of a kind. */
export function gvkOf(t: Pick<ResourceType, 'group' | 'version' | 'kind'>): {
  group: string;
  kind: string;
  version: string;
} {
  return { group: t.group, kind: t.kind, version: t.version };
}
