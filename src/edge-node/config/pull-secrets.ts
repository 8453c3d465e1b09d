/**
 * `imagePullSecrets`: each named `kubernetes.io/dockerconfigjson` Secret's `.dockerconfigjson`, for
 * the runtimes' pulls. As the kubelet, a missing or unusable one is named in a warning and the pull
 * goes on with the rest (and the node's own credentials).
 */
import { SECRET_TYPES } from '../../api/index.js';
import type { Pod } from '../../api/index.js';
import type { ConfigLookup } from './config-store.js';

/** The pod's pull secrets as Docker config documents, and a warning naming those that could not be used. */
export function resolvePullSecrets(pod: Pod, lookup: ConfigLookup): { secrets: string[]; warning?: string } {
  const ns = pod.metadata.namespace ?? 'default';
  const secrets: string[] = [];
  const unusable: string[] = [];
  for (const ref of pod.spec.imagePullSecrets ?? []) {
    const s = lookup.get('Secret', ns, ref.name);
    const doc = s?.data['.dockerconfigjson'];
    if (!s || doc === undefined || (s.secretType !== undefined && s.secretType !== SECRET_TYPES.dockerConfigJson)) {
      unusable.push(ref.name);
      continue;
    }
    secrets.push(Buffer.from(doc).toString('utf8'));
  }
  if (unusable.length === 0) return { secrets };
  return {
    secrets,
    warning: `Unable to retrieve some image pull secrets (${unusable.join(', ')}); attempting to pull the image may not succeed.`,
  };
}
