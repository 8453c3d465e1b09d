/**
 * `wasi:config/store@0.2.0-draft` for one instance (worker side): the runtime-config interface Spin
 * and wasmCloud give components, backed by the container's config entries (its `envFrom` ConfigMaps
 * and Secrets, after `prefix`; `ContainerConfig.config`). Read-only; never fails.
 *
 * ```wit
 * variant error { upstream(string), io(string) }
 * get: func(key: string) -> result<option<string>, error>;
 * get-all: func() -> result<list<tuple<string, string>>, error>;
 * ```
 */
import type { InterfaceImports } from './context.js';

/** `wasi:config/store`. */
export const configStoreImports: InterfaceImports = {
  // result<option<string>, error>: result tag @0, option tag @4, string @8.
  get:
    ({ mem, state }) =>
    (ptr: number, len: number, ret: number): void => {
      const value = state.config.get(mem.readString(ptr, len));
      if (value === undefined) mem.u8[ret + 4] = 0;
      else {
        mem.storeString(ret + 8, value);
        mem.u8[ret + 4] = 1;
      }
      mem.u8[ret] = 0;
    },
  // result<list<tuple<string, string>>, error>: result tag @0, list @4.
  'get-all':
    ({ mem, state }) =>
    (ret: number): void => {
      const entries = [...state.config];
      const list = mem.alloc(4, entries.length * 16);
      for (let i = 0; i < entries.length; i++) {
        const [k, v] = entries[i]!;
        mem.storeString(list + i * 16, k);
        mem.storeString(list + i * 16 + 8, v);
      }
      mem.dv.setUint32(ret + 4, list, true);
      mem.dv.setUint32(ret + 8, entries.length, true);
      mem.u8[ret] = 0;
    },
};
