/** The `/scale` subresource: an autoscaling/v1 `Scale` view of a workload's replicas. */
import {
  BadRequestError,
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
import type { ObjectAPI } from '../registry/index.js';
import type { PatchKind } from './body.js';
import { applyPatch } from './patch.js';

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

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Applies a patch of any kind to the Scale of object `name` and sets the replicas it asks for. */
export async function patchScale(
  api: ObjectAPI,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  kind: PatchKind,
  patch: unknown,
): Promise<Scale> {
  const scale = applyPatch(kind, toScale(await api.get(type, namespace, name)), patch);
  // A JSON patch may replace the whole document with anything (`{"op":"replace","path":""}`).
  if (!isObject(scale))
    throw new BadRequestError('the patched Scale must be a JSON object', [
      { field: '<root>', message: 'Invalid value: the patch replaced the Scale with a non-object' },
    ]);
  // The patched Scale carries the current resourceVersion; drop it so the write is not pinned. A
  // metadata that is not an object goes on as is, for parseScale to name.
  let metadata = scale.metadata;
  if (metadata === undefined || isObject(metadata)) {
    metadata = { ...metadata };
    delete (metadata as Record<string, unknown>).resourceVersion;
  }
  return updateScale(api, type, namespace, name, parseScale(type, name, { ...scale, metadata }));
}
