/**
 * A store whose watches can be held back: a second registry over it has a watch cache that lags the
 * store, as a second hub's does on etcd until its watch delivers another hub's write. Tests only.
 */
import type { Store, StoreEvent } from '../../store/index.js';

/** The switch of {@link withHeldWatches}: events wait while `on`, and `release()` delivers them. */
export interface HeldWatches {
  on: boolean;
  release(): void;
}

/** `store`, with the events of its watches held while `held.on` (released by `held.release()`). */
export function withHeldWatches(store: Store): { store: Store; held: HeldWatches } {
  const queue: Array<() => void> = [];
  const held: HeldWatches = {
    on: false,
    release(): void {
      held.on = false;
      for (const deliver of queue.splice(0)) deliver();
    },
  };
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'watch')
        return (prefix: string, from: number, onEvent: (e: StoreEvent) => void) =>
          target.watch(prefix, from, (e) => (held.on ? queue.push(() => onEvent(e)) : onEvent(e)));
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: wrapped, held };
}

/** `store`, recording the key of every `get` into `reads`. */
export function withRecordedGets(store: Store, reads: string[]): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'get')
        return (key: string) => {
          reads.push(key);
          return target.get(key);
        };
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
