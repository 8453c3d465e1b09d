/** The managedFields a registry write leaves on an object (see `withManagers`). */
import { rfc3339, type Clock, type KubeObject, type ResourceType } from '../../api/index.js';
import { recordUpdate } from './managed-fields/index.js';
import type { WriteOptions } from './types.js';

/**
 * `next` with the managedFields of this write: as server-side apply computed them, or with the
 * write recorded as an Update by `opts.fieldManager`. Writers that name no manager (the hub's own
 * controllers) leave them as they were.
 */
export function withManagers(
  clock: Clock,
  type: ResourceType,
  cur: KubeObject | undefined,
  next: KubeObject,
  input: KubeObject,
  opts: WriteOptions & { subresource?: string },
): KubeObject {
  let managed: KubeObject['metadata']['managedFields'];
  if (opts.applied) managed = opts.applied.managedFields;
  else if (opts.fieldManager !== undefined) {
    const w = {
      manager: opts.fieldManager,
      time: rfc3339(clock.now()),
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
    };
    managed = recordUpdate(type, cur, next, input.metadata.managedFields, w);
  } else return next;
  const metadata = { ...next.metadata };
  if (managed === undefined) delete metadata.managedFields;
  else metadata.managedFields = managed;
  return { ...next, metadata };
}
