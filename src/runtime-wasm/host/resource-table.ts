/**
 * The handle table of one component instance (worker side): every resource the host hands to the
 * guest (`fields`, `input-stream`, `pollable`, ...) gets an `i32` handle here, as the canonical ABI
 * describes. One table for all resource types; every access checks the type, so a guest that passes
 * a pollable where a stream is expected traps instead of confusing the host.
 *
 * Live handles are capped (MAX_LIVE_HANDLES): each is a host object in the executor's heap, and a
 * guest that makes them without dropping them would grow it without bound. Past the cap the call
 * that would make one traps the instance (a guest that leaks handles is broken; its pod restarts).
 */
import { HostTrap } from './guest-memory.js';

/** A resource that wants to know when the guest drops its last handle. */
export interface Disposable {
  dispose?(): void;
}

type ResourceClass<T> = abstract new (...args: never[]) => T;

/** Default cap on one instance's live handles (real guests hold tens; a leak reaches this fast). */
export const MAX_LIVE_HANDLES = 16_384;

/** Handles of one component instance's resources. */
export class ResourceTable {
  readonly #items: Array<object | undefined> = [undefined];
  readonly #free: number[] = [];

  constructor(readonly maxHandles = MAX_LIVE_HANDLES) {}

  /** Handles currently live (for leak checks). */
  get size(): number {
    return this.#items.length - 1 - this.#free.length;
  }

  /** Gives the guest a new handle to `resource`. */
  add(resource: object): number {
    if (this.size >= this.maxHandles)
      throw new HostTrap(`too many live resource handles (the limit is ${this.maxHandles})`);
    const handle = this.#free.pop();
    if (handle !== undefined) {
      this.#items[handle] = resource;
      return handle;
    }
    this.#items.push(resource);
    return this.#items.length - 1;
  }

  /** The resource behind a borrowed handle; traps on a bad handle or the wrong type. */
  get<T>(handle: number, type: ResourceClass<T>): T {
    const item = this.#items[handle];
    if (!(item instanceof type)) throw new HostTrap(`unknown handle ${handle} (expected ${type.name})`);
    return item;
  }

  /** Removes an owned handle the guest passes back (ownership moves to the host). */
  take<T>(handle: number, type: ResourceClass<T>): T {
    const item = this.get(handle, type);
    this.#items[handle] = undefined;
    this.#free.push(handle);
    return item;
  }

  /** Removes `handle` if it still refers to `resource` (the guest kept a handle it was given). */
  release(handle: number, resource: object): void {
    if (this.#items[handle] !== resource) return;
    this.#items[handle] = undefined;
    this.#free.push(handle);
  }

  /** `[resource-drop]`: removes the handle and tells the resource. */
  drop<T extends object>(handle: number, type: ResourceClass<T>): void {
    (this.take(handle, type) as Disposable).dispose?.();
  }
}
