/** Store keys of objects: `/registry/<plural>/<namespace>/<name>` or `/registry/<plural>/<name>`. */
import type { ResourceType } from '../../api/index.js';

/** The key of one object (`namespace` is ignored for cluster-scoped kinds). */
export function objectKey(t: ResourceType, namespace: string | undefined, name: string): string {
  return t.namespaced ? `/registry/${t.plural}/${namespace ?? ''}/${name}` : `/registry/${t.plural}/${name}`;
}

/** The prefix of a collection: one namespace, or every namespace when `namespace` is absent. */
export function collectionPrefix(t: ResourceType, namespace?: string): string {
  return t.namespaced && namespace !== undefined ? `/registry/${t.plural}/${namespace}/` : `/registry/${t.plural}/`;
}
