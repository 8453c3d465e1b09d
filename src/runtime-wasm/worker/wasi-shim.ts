/**
 * Loads the WASI host implementation instances are given (worker side).
 *
 * We use preview2-shim's *browser* build, in Node too: its `wasi:io` streams and `wasi:http` types are
 * plain in-memory objects, so the host can build an incoming request and read the response without
 * the Node build's I/O worker (whose request/response constructors are private, and which would add a
 * blocking thread hop per call). Every `wasi:*` interface an instance sees must come from this one
 * family: the generated bindings check resources with `instanceof` against the classes they were given.
 *
 * Package `exports` map `@bytecodealliance/preview2-shim/*` to the Node build under the `node`
 * condition, so the browser files are loaded by URL next to the resolved package entry.
 * (`import type` below resolves to the browser typings: the `types` condition comes first.)
 */
import type * as CliShim from '@bytecodealliance/preview2-shim/cli';
import type * as ClocksShim from '@bytecodealliance/preview2-shim/clocks';
import type * as FilesystemShim from '@bytecodealliance/preview2-shim/filesystem';
import type * as HttpShim from '@bytecodealliance/preview2-shim/http';
import type * as IoShim from '@bytecodealliance/preview2-shim/io';
import type * as RandomShim from '@bytecodealliance/preview2-shim/random';
import type * as SocketsShim from '@bytecodealliance/preview2-shim/sockets';

/** The browser-build shim modules, loaded once per worker. */
export interface WasiShim {
  cli: typeof CliShim;
  clocks: typeof ClocksShim;
  filesystem: typeof FilesystemShim;
  http: typeof HttpShim;
  io: typeof IoShim;
  random: typeof RandomShim;
  sockets: typeof SocketsShim;
}

let loading: Promise<WasiShim> | undefined;

/** Loads (once) the browser build of preview2-shim. */
export function loadWasiShim(): Promise<WasiShim> {
  loading ??= (async () => {
    const entry = import.meta.resolve('@bytecodealliance/preview2-shim');
    const load = <T>(name: string): Promise<T> => import(new URL(`../browser/${name}.js`, entry).href) as Promise<T>;
    const [cli, clocks, filesystem, http, io, random, sockets] = await Promise.all([
      load<typeof CliShim>('cli'),
      load<typeof ClocksShim>('clocks'),
      load<typeof FilesystemShim>('filesystem'),
      load<typeof HttpShim>('http'),
      load<typeof IoShim>('io'),
      load<typeof RandomShim>('random'),
      load<typeof SocketsShim>('sockets'),
    ]);
    return { cli, clocks, filesystem, http, io, random, sockets };
  })();
  return loading;
}
