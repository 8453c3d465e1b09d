/** Identity of a pod as the node handles it. */
import type { Pod } from '../../api/index.js';

/** Namespace, name and uid of a pod (the wire's `PodRef`). */
export interface PodKey {
  namespace: string;
  name: string;
  uid: string;
}

/** The `PodKey` of a pod; a missing uid falls back to `namespace/name` so a bad frame cannot crash us. */
export function podRefOf(pod: Pod): PodKey {
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  return { namespace, name, uid: pod.metadata.uid ?? `${namespace}.${name}` };
}

/** `namespace/name`. */
export function podName(ref: { namespace: string; name: string }): string {
  return `${ref.namespace}/${ref.name}`;
}
