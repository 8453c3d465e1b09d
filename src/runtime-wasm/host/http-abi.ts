/**
 * Canonical-ABI stores shared by the `wasi:http/types` imports: the result and option shapes their
 * functions return through a pointer, and taking a request's or response's body once.
 */
import type { HostBytes } from './host-bytes.js';
import type { GuestMemory } from './guest-memory.js';
import { storeErrorCode, type ErrorCode } from './http-error-code.js';
import { OutgoingBody } from './http-resources.js';

/** `result<own<T>>` with a unit error: case at +0, handle at +4. */
export function storeHandleResult(mem: GuestMemory, ret: number, handle: number | undefined): void {
  if (handle === undefined) {
    mem.u8[ret] = 1;
    return;
  }
  mem.dv.setUint32(ret + 4, handle, true);
  mem.u8[ret] = 0;
}

/** `result<_, error-code>`: case at +0, error-code at +8. */
export function storeErrorResult(mem: GuestMemory, ret: number, error: ErrorCode | undefined): void {
  if (error) storeErrorCode(mem, ret + 8, error);
  mem.u8[ret] = error ? 1 : 0;
}

/** `option<u64>`: case at +0, value at +8. */
export function storeOptionU64(mem: GuestMemory, ret: number, value: bigint | undefined): void {
  if (value !== undefined) mem.dv.setBigUint64(ret + 8, value, true);
  mem.u8[ret] = value === undefined ? 0 : 1;
}

/** A body's write side (once); `undefined` when already taken. */
export function takeBody(owner: { body: OutgoingBody | undefined }, budget: HostBytes): OutgoingBody | undefined {
  if (owner.body) return undefined;
  owner.body = new OutgoingBody(budget);
  return owner.body;
}
