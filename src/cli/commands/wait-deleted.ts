/**
 * Waiting until an object is gone (`delete --wait`, `wait --for=delete`): a GET, then a watch of
 * that one name from the revision the GET saw, until a DELETED event — no polling.
 */
import { EdgeError, StatusReason, type ResourceKind } from '../../api/index.js';
import type { EdgeClient } from '../client/index.js';

/** The wait ran out of time; kubectl's wording. */
export class WaitTimeoutError extends EdgeError {
  constructor(what: string) {
    super(StatusReason.Timeout, 504, `timed out waiting for the condition on ${what}`);
  }
}

const isNotFound = (err: unknown): boolean => err instanceof EdgeError && err.code === 'NotFound';

/**
 * Resolves when `namespace/name` of `type` no longer exists. `signal` ends the wait early (the
 * caller's deadline or Ctrl-C); the wait then rejects with the abort reason.
 */
export async function waitDeleted(
  client: EdgeClient,
  type: ResourceKind,
  namespace: string | undefined,
  name: string,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    let rv: string | undefined;
    try {
      rv = (await client.get(type, namespace, name, signal)).metadata.resourceVersion;
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    try {
      for await (const ev of client.watch(type, {
        namespace,
        fieldSelector: `metadata.name=${name}`,
        resourceVersion: rv,
        signal,
      })) {
        if (ev.type === 'DELETED') return;
      }
    } catch (err) {
      // The revision aged out of the hub's window: look again.
      if (!(err instanceof EdgeError && err.code === 'Gone')) throw err;
    }
    signal.throwIfAborted();
  }
}
