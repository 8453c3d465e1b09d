/**
 * The pure steps of an update: what an update of the stored object with the input results in
 * (metadata merge, defaults, the status rule, generation), and the preconditions it must meet.
 */
import {
  ConflictError,
  InvalidError,
  jsonEqual,
  type FieldCause,
  type KubeObject,
  type ObjectMeta,
  type ResourceType,
} from '../../api/index.js';
import { omit } from './omit.js';
import type { KindStrategy } from './strategies/index.js';
import { resourceName } from './store-errors.js';

/** Top-level fields other than identity, metadata and status: what `generation` tracks. */
export function bodyOf(obj: KubeObject): Record<string, unknown> {
  return omit(obj, 'apiVersion', 'kind', 'metadata', 'status');
}

/** Throws ConflictError when the input's resourceVersion or uid (if given) is not the stored one's. */
export function checkPreconditions(type: ResourceType, cur: KubeObject, input: KubeObject): void {
  const { resourceVersion, uid } = input.metadata;
  if (
    (resourceVersion !== undefined && resourceVersion !== cur.metadata.resourceVersion) ||
    (uid !== undefined && uid !== cur.metadata.uid)
  ) {
    throw new ConflictError(
      `Operation cannot be fulfilled on ${resourceName(type)} "${cur.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      { kind: resourceName(type), name: cur.metadata.name ?? '' },
    );
  }
}

/**
 * The object an update of `cur` with `input` results in, before allocation: metadata merged,
 * defaulted, status kept (status subresource kinds) or replaced, validated and admitted.
 */
export async function mergeUpdate(
  type: ResourceType,
  strategy: KindStrategy,
  cur: KubeObject,
  input: KubeObject,
): Promise<KubeObject> {
  const m = input.metadata;
  const metadata: ObjectMeta = { ...cur.metadata };
  for (const f of ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const) {
    if (m[f] === undefined) delete metadata[f];
    else (metadata as Record<string, unknown>)[f] = m[f];
  }
  const next: KubeObject = strategy.applyDefaults({
    apiVersion: cur.apiVersion,
    kind: cur.kind,
    metadata: strategy.prepareMetadataForUpdate(cur, metadata),
    ...strategy.prepareForUpdate(cur, bodyOf(input)),
  });
  if (type.hasStatus) {
    if (cur.status !== undefined) next.status = cur.status;
  } else if (input.status !== undefined) next.status = input.status;
  const causes: FieldCause[] = [...strategy.validate(next), ...strategy.validateUpdate(cur, next)];
  if (causes.length > 0) throw new InvalidError(type.kind, metadata.name ?? '', causes);
  await strategy.admit(next, cur);
  return next;
}

/** `next` with `generation` bumped when its body differs from `cur`'s. */
export function withGeneration(cur: KubeObject, next: KubeObject): KubeObject {
  if (jsonEqual(bodyOf(cur), bodyOf(next))) return next;
  return { ...next, metadata: { ...next.metadata, generation: (cur.metadata.generation ?? 0) + 1 } };
}
