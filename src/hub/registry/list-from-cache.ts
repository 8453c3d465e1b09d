/**
 * LIST answered from the watch cache (../cache): no store read, no JSON.parse, the selector run over
 * objects already in memory, a page taken from the keys in order. The resourceVersion rules are
 * Kubernetes' (list-semantics.ts); a continue token's pages are read at the first page's revision,
 * rebuilt from the cache's history (410 Gone once that is too old, as after an etcd compaction).
 */
import { GoneError, TimeoutError, type KubeObject, type ResourceType } from '../../api/index.js';
import type { ResourceCache, WatchCaches } from '../cache/index.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { LATEST, decodeContinue, encodeContinue, expiredContinue } from './continue-token.js';
import { collectionPrefix } from './keys.js';
import { listRead } from './list-semantics.js';
import type { ListOptions, ObjectList } from './types.js';

/**
 * Keys an unpaged LIST looks at in one turn of the event loop. A LIST of everything without a limit
 * (`kubectl get pods -A`) walked the whole cache in one turn: 180 ms for 100,000 pods, a stall of every
 * session and request meanwhile. It is read in turns instead, each at the first turn's revision (the
 * cache rolls back what changed since from its history, as for a continue token's page).
 */
const UNPAGED_TURN = 2000;

/** The objects under `prefix` matching `matches` at `revision`, read in turns; undefined once the history no longer reaches it. */
async function readInTurns(
  cache: ResourceCache,
  prefix: string,
  revision: number,
  matches: (obj: KubeObject) => boolean,
): Promise<KubeObject[] | undefined> {
  const items: KubeObject[] = [];
  let after: string | undefined;
  for (;;) {
    let page;
    try {
      page = cache.read({ prefix, at: revision, matches, maxScan: UNPAGED_TURN, ...(after ? { after } : {}) });
    } catch (err) {
      if (err instanceof GoneError) return undefined;
      throw err;
    }
    for (const item of page.items) items.push(item);
    if (!page.more || page.lastKey === undefined) return items;
    after = page.lastKey;
    await yieldToLoop();
  }
}

/** The selection of a list: its predicate and whether it filters at all. */
export interface ListSelection {
  matches: (obj: KubeObject) => boolean;
  /** The node every match is bound to (`spec.nodeName=<node>`), if the selector pins one. */
  node?: string | undefined;
  selective: boolean;
}

/** The error of a LIST at a revision the hub has not reached. */
export function tooLarge(revision: number, current: number): TimeoutError {
  return new TimeoutError(`Too large resource version: ${revision}, current: ${current}`);
}

/**
 * Lists `type` from the watch caches. Undefined when the store should answer instead: a consistent
 * read whose cache did not catch up in time, or a cache that could not be loaded (a resource without
 * a cache is the caller's to send to the store).
 */
export async function listFromCache<T extends KubeObject>(
  caches: WatchCaches,
  type: ResourceType,
  opts: ListOptions,
  sel: ListSelection,
): Promise<ObjectList<T> | undefined> {
  const read = listRead(opts);
  const token = opts.continue ? decodeContinue(opts.continue) : undefined;
  const prefix = collectionPrefix(type, opts.namespace);
  const cache = await caches.cache(prefix).catch(() => undefined);
  if (!cache) return undefined;
  let at: number | undefined;
  if (token && token.revision !== LATEST) {
    // Expired once the store compacted past it (Kubernetes: etcd's compaction), or once the cache's
    // history no longer reaches back to it.
    if (token.revision < cache.historyFrom || token.revision < (await caches.compactedRevision()))
      throw expiredContinue(token);
    at = token.revision;
  } else if (token || read.mode === 'consistent') {
    // The rest of an expired list (a LATEST token) is a consistent read of the current state.
    if (!(await caches.fresh())) return undefined;
  } else if (read.mode === 'notOlderThan') {
    if (!(await caches.fresh(read.revision))) throw tooLarge(read.revision, caches.progress);
  } else if (read.mode === 'exact') {
    if (!(await caches.fresh(read.revision))) throw tooLarge(read.revision, caches.progress);
    if (read.revision < cache.historyFrom) throw new GoneError('The resourceVersion for the provided list is too old.');
    at = read.revision;
  }
  const limit = opts.limit !== undefined && opts.limit > 0 ? opts.limit : undefined;
  if (limit === undefined && !token && sel.node === undefined && cache.size > UNPAGED_TURN) {
    const revision = at ?? caches.revisionOf(cache);
    const items = await readInTurns(cache, prefix, revision, sel.matches);
    if (items) return { items: items as T[], resourceVersion: String(revision) };
    // The history moved past the read's revision between two turns: the current state, in one.
  }
  // From here to the answer nothing awaits: the page and its revision are one state.
  const revision = at ?? caches.revisionOf(cache);
  const page = cache.read({
    prefix,
    ...(token ? { after: prefix + token.start } : {}),
    ...(at !== undefined ? { at } : {}),
    matches: sel.matches,
    ...(sel.node !== undefined ? { node: sel.node } : {}),
    ...(limit !== undefined ? { limit } : {}),
    countRemaining: !sel.selective,
  });
  const out: ObjectList<T> = { items: page.items as T[], resourceVersion: String(revision) };
  if (limit !== undefined && page.more && page.lastKey !== undefined) {
    out.continue = encodeContinue({ revision, start: page.lastKey.slice(prefix.length) });
    if (page.remaining !== undefined && page.remaining > 0) out.remainingItemCount = page.remaining;
  }
  return out;
}
