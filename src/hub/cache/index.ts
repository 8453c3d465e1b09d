/** The hub's watch caches: LIST, GET and watch fan-out served from memory (see watch-caches.ts). */
export {
  WatchCaches,
  DEFAULT_CACHE_HISTORY,
  DEFAULT_FRESH_TIMEOUT_MS,
  DEFAULT_UNCACHED,
  resourcePrefix,
  type WatchCachesOptions,
} from './watch-caches.js';
export { ResourceCache, type CachePage, type CacheQuery, type CacheChange } from './resource-cache.js';
export { SortedKeys, prefixEnd } from './sorted-keys.js';
