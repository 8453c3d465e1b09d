/** Translation of the store's key-level errors into errors naming the resource, as Kubernetes words them. */
import { AlreadyExistsError, ConflictError, NotFoundError, type ResourceType } from '../../api/index.js';

/** `pods`, `deployments.apps`: how Kubernetes names a resource in messages and `details.kind`. */
export function resourceName(t: ResourceType): string {
  return t.group === '' ? t.plural : `${t.plural}.${t.group}`;
}

/** Rewrites a store error about a key into one about object `name` of `t`; other errors pass through. */
export function storeError(err: unknown, t: ResourceType, name: string): unknown {
  const kind = resourceName(t);
  if (err instanceof AlreadyExistsError && err.details?.kind === 'key') return new AlreadyExistsError(kind, name);
  if (err instanceof NotFoundError && err.details?.kind === 'key') return new NotFoundError(kind, name);
  if (err instanceof ConflictError && err.details === undefined) {
    return new ConflictError(
      `Operation cannot be fulfilled on ${kind} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { kind, name },
    );
  }
  return err;
}
