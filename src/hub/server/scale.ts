/** The `/scale` subresource: an autoscaling/v1 `Scale` view of a workload's replicas. */
import { z } from 'zod';
import {
  ConflictError,
  InvalidError,
  formatSelector,
  fromLabelSelector,
  issuesToCauses,
  type KubeObject,
  type LabelSelector,
  type ResourceType,
} from '../../api/index.js';
import type { ObjectAPI } from '../registry/index.js';

const UPDATE_RETRIES = 5;

/** What a client may send to `/scale`. */
export const ScaleBody = z.strictObject({
  apiVersion: z.string().optional(),
  kind: z.literal('Scale').optional(),
  metadata: z
    .looseObject({
      name: z.string().optional(),
      namespace: z.string().optional(),
      resourceVersion: z.string().optional(),
    })
    .optional(),
  spec: z.strictObject({ replicas: z.number().int().min(0) }),
  status: z.unknown().optional(),
});
export type ScaleBody = z.infer<typeof ScaleBody>;

interface Scalable extends KubeObject {
  spec: { replicas?: number; selector?: LabelSelector };
  status?: { replicas?: number };
}

/** The Scale of `obj`. */
export function toScale(obj: KubeObject): unknown {
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
export function parseScale(type: ResourceType, name: string, raw: unknown): ScaleBody {
  const r = ScaleBody.safeParse(raw);
  if (!r.success) throw new InvalidError('Scale', name, issuesToCauses(r.error.issues));
  return r.data;
}

/** Sets the replicas of object `name`; the Scale's resourceVersion, if any, is a precondition. */
export async function updateScale(
  api: ObjectAPI,
  type: ResourceType,
  namespace: string | undefined,
  name: string,
  scale: ScaleBody,
): Promise<unknown> {
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
