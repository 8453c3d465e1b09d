/**
 * The read side of the registry: lists (with Kubernetes' `limit`/`continue` pagination and
 * resourceVersion rules) and watches (served by shared prefix watches where they can be, see
 * watch-dispatch.ts). Both are answered from the watch caches (../cache) when the registry has them;
 * the store answers what the caches cannot (a consistent read they did not catch up with in time).
 */
import {
  BadRequestError,
  GoneError,
  apiVersionOf,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  type KubeObject,
  type ResourceType,
} from '../../api/index.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { WatchCaches } from '../cache/index.js';
import type { Store } from '../store/index.js';
import { LATEST, decodeContinue, encodeContinue, expiredContinue } from './continue-token.js';
import { collectionPrefix } from './keys.js';
import { listFromCache, tooLarge } from './list-from-cache.js';
import { listRead, type ListRead } from './list-semantics.js';
import type { SharedWatches } from './shared-watches.js';
import type { ListOptions, ObjectList, WatchEvent, WatchOptions } from './types.js';
import { INDEXED_FIELDS, type WatchSub } from './watch-dispatch.js';
import { toWatchEvent, withResourceVersion } from './watch-filter.js';

/**
 * The selectors of `opts` as one predicate, the indexed field term it requires (shared watches), and
 * the node it pins (`spec.nodeName=<node>`: the watch cache's node index), if any.
 */
function selection(
  type: ResourceType,
  opts: ListOptions,
): {
  matches: (obj: KubeObject) => boolean;
  index: string | undefined;
  node: string | undefined;
  selective: boolean;
} {
  const labels = parseLabelSelector(opts.labelSelector);
  const fields = parseFieldSelector(opts.fieldSelector, type.kind);
  const pinned = fields.find((f) => f.op === '=' && (INDEXED_FIELDS as readonly string[]).includes(f.field));
  return {
    matches: (obj) => matchesLabels(labels, obj.metadata.labels) && matchesFields(fields, obj),
    index: pinned && `${pinned.field}=${pinned.value}`,
    node: fields.find((f) => f.op === '=' && f.field === 'spec.nodeName')?.value,
    selective: labels.length > 0 || fields.length > 0,
  };
}

/** Store rows read per ranged read while a selector fills a page. */
const PAGE_CHUNK = 500;

/**
 * Lists a collection. With `limit`, answers at most that many items in key order and a `continue`
 * token; the following pages keep the first page's resourceVersion (a watch from it replays what
 * changed meanwhile) and a token whose revision was compacted gets 410 Gone, as in Kubernetes.
 * A page is a ranged store read from the token's key, never a scan of the whole collection; as in
 * Kubernetes, `remainingItemCount` is given only without selectors (with one it is unknown).
 */
export async function listObjects<T extends KubeObject>(
  store: Store,
  caches: WatchCaches | undefined,
  type: ResourceType,
  opts: ListOptions,
): Promise<ObjectList<T>> {
  const sel = selection(type, opts);
  if (caches?.isCached(collectionPrefix(type, opts.namespace))) {
    const cached = await listFromCache<T>(caches, type, opts, sel);
    if (cached) return cached;
  } else {
    const read = listRead(opts); // the same validation as the cache's
    // A resource the caches leave to the store (Events): it serves its current state only.
    if (caches && !opts.continue) await refuseOtherStates(store, read);
  }
  return listFromStore<T>(store, type, opts, sel);
}

/**
 * The store answers with its current state only. For a resource without a watch cache, a LIST that
 * asks for another one is refused, as Kubernetes refuses what its storage cannot serve: an exact
 * older state is Gone, a state newer than the store's is too large.
 */
async function refuseOtherStates(store: Store, read: ListRead): Promise<void> {
  if (read.mode !== 'exact' && read.mode !== 'notOlderThan') return;
  const current = await store.revision();
  if (read.revision > current) throw tooLarge(read.revision, current);
  if (read.mode === 'exact' && read.revision < current)
    throw new GoneError('The resourceVersion for the provided list is too old.');
}

/**
 * Lists from the store: the current state whatever the resourceVersion asked for (the store holds
 * no older one), a page per ranged read.
 */
async function listFromStore<T extends KubeObject>(
  store: Store,
  type: ResourceType,
  opts: ListOptions,
  { matches, selective }: { matches: (obj: KubeObject) => boolean; selective: boolean },
): Promise<ObjectList<T>> {
  const prefix = collectionPrefix(type, opts.namespace);
  const token = opts.continue ? decodeContinue(opts.continue) : undefined;
  if (token && token.revision !== LATEST && token.revision < (await store.compactedRevision()))
    throw expiredContinue(token);
  const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined;
  let after = token ? prefix + token.start : undefined;
  const items: T[] = [];
  // A LATEST token's pages (the rest of an expired list) carry the revision they were read at.
  let revision = token && token.revision !== LATEST ? token.revision : undefined;
  let remaining: number | undefined;
  // Key of the last row looked at, and whether rows follow it: the next page starts after it.
  let lastKey = '';
  let more: boolean;
  for (;;) {
    // A selective read goes in chunks, with or without a limit: the rows it must look at may be many
    // more than it returns (Events by involvedObject, which no cache holds).
    const want = selective ? Math.max(PAGE_CHUNK, limit ?? 0) : limit === undefined ? undefined : limit - items.length;
    // Only a non-selective page tells how many items follow it.
    const count = !selective && opts.countRemaining !== false;
    const res = await store.list(prefix, {
      ...(after !== undefined ? { after } : {}),
      ...(want ? { limit: want, count } : {}),
    });
    revision ??= res.revision;
    let i = 0;
    for (; i < res.items.length && (limit === undefined || items.length < limit); i++) {
      const sv = res.items[i]!;
      lastKey = sv.key;
      const object = withResourceVersion<T>(sv.value, sv.modRevision);
      if (matches(object)) items.push(object);
    }
    more = i < res.items.length || res.more === true;
    if (count && limit !== undefined) remaining = (res.remaining ?? 0) + (res.items.length - i);
    if (want === undefined || !more || (limit !== undefined && items.length >= limit)) break;
    after = lastKey;
    await yieldToLoop(); // other work runs between chunks: a page is never one long stretch
  }
  const out: ObjectList<T> = { items, resourceVersion: String(revision) };
  if (limit !== undefined && more) {
    out.continue = encodeContinue({ revision: revision ?? 0, start: lastKey.slice(prefix.length) });
    if (remaining !== undefined && remaining > 0) out.remainingItemCount = remaining;
  }
  return out;
}

/** Watches a collection; see `ObjectAPI.watch`. */
export async function watchObjects<T extends KubeObject>(
  store: Store,
  caches: WatchCaches | undefined,
  shared: SharedWatches,
  type: ResourceType,
  opts: WatchOptions,
  onEvent: (e: WatchEvent<T>) => void,
  onError?: (err: Error) => void,
): Promise<() => void> {
  const { matches, index } = selection(type, opts);
  const prefix = collectionPrefix(type, opts.namespace);
  const rv = opts.resourceVersion;
  let from: number;
  if (rv === undefined || rv === '' || rv === '0') {
    // Kubernetes: no resourceVersion = the most recent state first, "0" = any state first.
    const { namespace, labelSelector, fieldSelector } = opts;
    const list = await listObjects<T>(store, caches, type, {
      namespace,
      labelSelector,
      fieldSelector,
      ...(rv === '0' ? { resourceVersion: '0' } : {}),
    });
    for (const object of list.items) onEvent({ type: 'ADDED', object });
    from = Number(list.resourceVersion);
  } else if (/^\d+$/.test(rv)) {
    from = Number(rv);
  } else {
    throw new BadRequestError(`invalid resourceVersion "${rv}": must be a non-negative integer`);
  }
  // Past compaction the store answers 410 Gone, whatever the shared ring still holds.
  if (from >= (await store.compactedRevision())) {
    const apiVersion = apiVersionOf(type);
    const sub: WatchSub = {
      matches,
      index,
      after: from,
      onEvent: onEvent as (e: WatchEvent) => void,
      onError,
      bookmarkIntervalMs: opts.bookmarkIntervalMs,
      nextBookmarkAt: performance.now() + (opts.bookmarkIntervalMs ?? 0),
      bookmark: (resourceVersion) => ({
        type: 'BOOKMARK',
        object: { apiVersion, kind: type.kind, metadata: { resourceVersion } },
      }),
    };
    const leave = await shared.join(prefix, sub);
    if (leave) return leave;
  }
  const source = caches ?? store;
  return source.watch(
    prefix,
    from,
    (e) => {
      const we = toWatchEvent<T>(e, matches);
      if (we) onEvent(we);
    },
    onError,
  );
}
