/**
 * A leadership term's view of the hub's shared informers. Every hub keeps its informers synced (the
 * API, the gateway and the node lifecycle read them), so a new leader's controllers start on warm
 * caches, with no relist. Controllers register their handlers in their constructors and informers
 * have no way to remove one; the view therefore registers each handler behind the term, so that it
 * goes quiet (enqueues nothing) once the term has ended. A term leaves one inert closure per handler
 * behind: leadership changes are rare, so that is a few closures per failover.
 */
import type { KubeObject } from '../../api/index.js';
import type { Informer, InformerHandler } from '../informers/index.js';
import type { LeaderTerm } from './fenced-api.js';

/** `handler`, called only while `term` is current. */
function gated<T extends KubeObject>(handler: InformerHandler<T>, term: LeaderTerm): InformerHandler<T> {
  return {
    ...(handler.onAdd ? { onAdd: (obj: T) => term.current && handler.onAdd?.(obj) } : {}),
    ...(handler.onUpdate ? { onUpdate: (old: T, obj: T) => term.current && handler.onUpdate?.(old, obj) } : {}),
    ...(handler.onDelete ? { onDelete: (obj: T) => term.current && handler.onDelete?.(obj) } : {}),
  };
}

/** `informer` as seen by one term's controllers: the same cache, handlers gated by `term`. */
export function termInformer<T extends KubeObject>(informer: Informer<T>, term: LeaderTerm): Informer<T> {
  return new Proxy(informer, {
    get(target, prop) {
      if (prop === 'addHandler') return (h: InformerHandler<T>) => target.addHandler(gated(h, term));
      const value: unknown = Reflect.get(target, prop, target);
      // Bound to the informer itself: its private fields are not reachable through the proxy.
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
