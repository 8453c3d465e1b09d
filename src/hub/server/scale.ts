/** The `/scale` subresource's patch: any patch kind applied to the Scale view (registry/scale.ts). */
import { BadRequestError, type ResourceType, type Scale } from '../../api/index.js';
import { parseScale, toScale, updateScale, type ObjectAPI } from '../registry/index.js';
import type { PatchKind } from './body.js';
import { applyPatch } from './patch.js';

export { parseScale, toScale, updateScale };

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
