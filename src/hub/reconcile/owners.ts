/** Ownership by `ownerReferences`: how controllers find what they own and mark what they create. */
import type { KubeObject, OwnerReference } from '../../api/index.js';

/** The controller owner reference of `obj`, if any. */
export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** An owner reference making `owner` the controller of a dependent. */
export function ownerRefTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}
