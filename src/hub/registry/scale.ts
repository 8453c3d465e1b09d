/**
 * The `/scale` subresource's model: an autoscaling/v1 `Scale` view of a workload's replicas, and the
 * write that sets them. The API's scale routes and the autoscaler's controllers both use it, so it
 * lives with the object semantics, not in the HTTP server.
 */
import {
  ConflictError,
  InvalidError,
  ScaleUpdate,
  formatSelector,
  fromLabelSelector,
  issuesToCauses,
  type KubeObject,
  type LabelSelector,
  type ResourceType,
  type Scale,
} from '../../api/index.js';
import type { ObjectAPI } from './types.js';
const UPDATE_RETRIES = 5;

interface Scalable extends KubeObject {
  spec: { replicas?: number; selector?: LabelSelector };
  status?: { replicas?: number };
}

/** The Scale of `obj`. */
export function toScale(obj: KubeObject): Scale {
  const o = obj as Scalable;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = o.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: o.spec.replicas ?? 0 },
    status: { replicas: o.status?.replicas ?? 0, selector: formatSelector(fromLabelSelector(o.spec.selector) ?? []) },
  };
}

/** Validates a Scale body (422 naming the field). */
export function parseScale(type: ResourceType, name: string, raw: unknown): ScaleUpdate {
  const r = ScaleUpdate.safeParse(raw);
  if (!r.success) throw new InvalidError('Scale', name, issuesToCauses(r.error.issues));
  return r.data;
}

/** Sets the replicas of object `name`; the Scale's resourceVersion, if any, is a precondition. */
export async function updateScale(
  api: ObjectAPI,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  scale: ScaleUpdate,
): Promise<Scale> {
  const wantRV = scale.metadata?.resourceVersion;
  for (let attempt = 0; ; attempt++) {
    const cur = await api.get<Scalable>(type, namespace, name);
    if (wantRV !== undefined && wantRV !== cur.metadata.resourceVersion) {
      throw new ConflictError(
        `Operation cannot be fulfilled on ${type.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    try {
      const next = await api.update<Scalable>(type, { ...cur, spec: { ...cur.spec, replicas: scale.spec.replicas } });
      return toScale(next);
    } catch (err) {
      if (!(err instanceof ConflictError) || wantRV !== undefined || attempt >= UPDATE_RETRIES) throw err;
    }
  }
}
