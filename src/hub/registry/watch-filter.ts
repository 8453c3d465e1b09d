/**
 * Turns store events into API watch events for a filtered watch. As in Kubernetes, an object
 * that stops matching the selectors is sent as DELETED and one that starts matching as ADDED.
 */
import type { KubeObject } from '../../api/index.js';
import type { StoreEvent } from '../store/index.js';
import type { WatchEvent } from './types.js';

/** Sets `metadata.resourceVersion` (stored values do not carry it: it is the write's revision). */
export function withResourceVersion<T extends KubeObject>(value: unknown, revision: number): T {
  const obj = value as T;
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
}

/**
 * Sets `metadata.resourceVersion` of `obj` in place and returns it: for an object the caller built
 * for a write and owns, metadata included (a copy per write was ~1% of a rollout's main thread).
 */
export function stampResourceVersion<T extends KubeObject>(obj: KubeObject, revision: number): T {
  obj.metadata.resourceVersion = String(revision);
  return obj as T;
}

/**
 * The API object of store event `e` (the same object for every call with the same event, so the HTTP
 * watch encodes it once, cached by object identity, however many clients watch): the event's own
 * value with its resourceVersion set in place. A store event's value is the store's own parse of what
 * it wrote or read, made for the event, so nothing else holds it yet; a copy of the object and of its
 * metadata per event was 2% of a rollout's main thread, and two more objects per change the watch
 * cache's history kept. A frozen value that lacks the revision (a test's, or one already handed out)
 * is copied once, and the copy becomes the event's value.
 *
 * The event itself remembers the answer (no side table): a WeakMap keyed by events was one ephemeron
 * per change, and a rollout's hundreds of thousands of them were most of the major GC's atomic pause
 * on Node 24 (`--trace-gc-nvp`: `mark.ephemeron.*` 174 of 209 ms).
 */
export function eventObject<T extends KubeObject>(e: StoreEvent): T {
  const value = e.value as KubeObject | null;
  const metadata = value?.metadata as Record<string, unknown> | undefined;
  if (value === null || typeof value !== 'object' || metadata === null || typeof metadata !== 'object')
    return withResourceVersion<T>(value, e.revision);
  const resourceVersion = String(e.revision);
  if (metadata.resourceVersion === resourceVersion) return value as T;
  if (!Object.isFrozen(value) && !Object.isFrozen(metadata)) {
    metadata.resourceVersion = resourceVersion;
    return value as T;
  }
  const copy = withResourceVersion<T>(value, e.revision);
  e.value = copy;
  return copy;
}

/** The API event for `e`, or undefined when the watcher must not see it. */
export function toWatchEvent<T extends KubeObject>(
  e: StoreEvent,
  matches: (obj: KubeObject) => boolean,
): WatchEvent<T> | undefined {
  const object = eventObject<T>(e);
  if (e.type === 'delete') return matches(object) ? { type: 'DELETED', object } : undefined;
  const now = matches(object);
  const before = !e.created && e.prevValue !== undefined && matches(e.prevValue as KubeObject);
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object };
  return before ? { type: 'DELETED', object } : undefined;
}
