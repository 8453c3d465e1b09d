/**
 * Plugs the core-level WASI host into one jco-transpiled component instance (worker side).
 *
 * jco's `instantiation: 'async'` bindings call `instantiateCore(module, imports)` for each core module
 * of the component, with an import object whose names are the canonical ABI's (`wasi:http/types@0.2.12`
 * → `[method]fields.get`, ...). {@link ComponentHost.instantiateCore} replaces every function of an
 * interface the host implements with its own, bound to that core instance's memory and realloc; jco
 * still wires the core modules together and serves what is left (preview2-shim, sandboxed).
 *
 * Because the host owns the handles of `wasi:io`/`wasi:http` resources, the HTTP handler is called
 * at the core level too ({@link ComponentHost.httpHandler}): jco's lifting would put the request in
 * its own tables.
 */
import type { InstanceState, InterfaceImports } from './context.js';
import { GuestMemory, HostTrap, type Realloc } from './guest-memory.js';
import {
  environmentImports,
  exitImports,
  monotonicClockImports,
  randomImports,
  sandboxImports,
  stdioImports,
  wallClockImports,
} from './cli.js';
import { configStoreImports } from './config-store.js';
import { filesystemTypesImports, preopensImports } from './fs-imports.js';
import { httpTypesImports, outgoingHandlerImports } from './http-types.js';
import { ioErrorImports, pollImports, streamsImports } from './io.js';
import { wasmGlobal, type CoreModule, type WasmInstance, type WasmMemory } from '../wasm-global.js';

/** Interfaces implemented at the core level, by unversioned name. */
const HOST_INTERFACES: Readonly<Record<string, InterfaceImports>> = {
  'wasi:io/error': ioErrorImports,
  'wasi:io/poll': pollImports,
  'wasi:io/streams': streamsImports,
  'wasi:http/types': httpTypesImports,
  'wasi:http/outgoing-handler': outgoingHandlerImports,
  'wasi:cli/environment': environmentImports,
  'wasi:cli/exit': exitImports,
  ...stdioImports,
  'wasi:clocks/monotonic-clock': monotonicClockImports,
  'wasi:clocks/wall-clock': wallClockImports,
  ...randomImports,
  ...sandboxImports,
  'wasi:filesystem/types': filesystemTypesImports,
  'wasi:filesystem/preopens': preopensImports,
  'wasi:config/store': configStoreImports,
};

type CoreImports = Record<string, Record<string, unknown>>;

/** A core export: `handle(request, response-outparam)`. */
export type CoreHandle = (request: number, responseOut: number) => void;

const isFunction = (v: unknown): v is (...args: never[]) => unknown => typeof v === 'function';

/** The WASI host of one component instance (see the file comment). */
export class ComponentHost {
  /** Every linear memory the component's core instances export (for memory accounting). */
  readonly memories: WasmMemory[] = [];
  readonly #coreExports: Array<Record<string, unknown>> = [];

  constructor(readonly state: InstanceState) {}

  /** The hook handed to jco's `instantiate(getCoreModule, imports, instantiateCore)`. */
  readonly instantiateCore = async (module: CoreModule, imports?: CoreImports): Promise<WasmInstance> => {
    let mem: GuestMemory | undefined;
    let patched: CoreImports | undefined;
    if (imports) {
      patched = {};
      for (const [ns, fns] of Object.entries(imports)) {
        const iface = HOST_INTERFACES[ns.split('@')[0] ?? ''];
        if (!iface) {
          patched[ns] = fns;
          continue;
        }
        const out: Record<string, unknown> = { ...fns };
        for (const name of Object.keys(fns)) {
          const factory = iface[name];
          if (!factory) continue;
          mem ??= new GuestMemory();
          out[name] = factory({ mem, state: this.state });
        }
        patched[ns] = out;
      }
    }
    const instance = await wasmGlobal.instantiate(module, patched);
    const exports = instance.exports;
    const own = exports.memory instanceof wasmGlobal.Memory ? exports.memory : undefined;
    if (own) this.memories.push(own);
    if (mem) {
      // The canonical options of a module's imports: its own memory (or the one it imports, as
      // the preview1 adapter does) and its import realloc (the adapter's) or its realloc.
      mem.memory = own ?? importedMemory(patched);
      const realloc = exports.cabi_import_realloc ?? exports.cabi_realloc;
      if (isFunction(realloc)) mem.realloc = realloc as Realloc;
    }
    this.#coreExports.push(exports);
    return instance;
  };

  /**
   * The core function behind the component's `wasi:http/incoming-handler` export (`exportName` as jco
   * names it, e.g. `wasi:http/incoming-handler@0.2.12`), with its post-return when there is one.
   */
  httpHandler(exportName: string): { handle: CoreHandle; postReturn?: () => void } {
    const exact = `${exportName}#handle`;
    for (const pattern of [
      (k: string) => k === exact,
      (k: string) => /^wasi:http\/incoming-handler@[^#]+#handle$/.test(k),
    ]) {
      for (const exports of this.#coreExports) {
        const name = Object.keys(exports).find(pattern);
        const fn = name === undefined ? undefined : exports[name];
        if (name === undefined || !isFunction(fn)) continue;
        const post = exports[`cabi_post_${name}`];
        return { handle: fn as CoreHandle, ...(isFunction(post) ? { postReturn: post } : {}) };
      }
    }
    throw new HostTrap(`no core export implements ${exportName}#handle`);
  }
}

function importedMemory(imports: CoreImports | undefined): WasmMemory | undefined {
  for (const ns of Object.values(imports ?? {})) {
    for (const v of Object.values(ns)) if (v instanceof wasmGlobal.Memory) return v;
  }
  return undefined;
}
