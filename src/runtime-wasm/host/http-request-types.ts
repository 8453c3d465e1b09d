/**
 * Core-level imports of the request side of `wasi:http/types`: `incoming-request` (what a handler is
 * called with), `outgoing-request` (what a worker sends) and `request-options`.
 */
import type { CoreContext, InterfaceImports } from './context.js';
import { storeHandleResult, storeOptionU64, takeBody } from './http-abi.js';
import { liftMethod, liftScheme, storeMethod, storeOptionScheme } from './http-fields.js';
import { Fields, IncomingBody, IncomingRequest, OutgoingRequest, RequestOptions } from './http-resources.js';

/** The request resources' functions. */
/** A request option's getter and setter (`option<duration>`). */
function timeoutAccessors(
  key: 'connectTimeout' | 'firstByteTimeout' | 'betweenBytesTimeout',
  wit: string,
): InterfaceImports {
  return {
    [`[method]request-options.${wit}`]:
      ({ mem, state }: CoreContext) =>
      (self: number, ret: number): void =>
        storeOptionU64(mem, ret, state.table.get(self, RequestOptions)[key]),
    [`[method]request-options.set-${wit}`]:
      ({ state }: CoreContext) =>
      (self: number, some: number, value: bigint): number => {
        state.table.get(self, RequestOptions)[key] = some ? value : undefined;
        return 0;
      },
  };
}

export const requestImports: InterfaceImports = {
  '[method]incoming-request.method':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      storeMethod(mem, ret, state.table.get(self, IncomingRequest).method),
  '[method]incoming-request.path-with-query':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      mem.storeOptionString(ret, state.table.get(self, IncomingRequest).pathWithQuery),
  '[method]incoming-request.scheme':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      storeOptionScheme(mem, ret, state.table.get(self, IncomingRequest).scheme),
  '[method]incoming-request.authority':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      mem.storeOptionString(ret, state.table.get(self, IncomingRequest).authority || undefined),
  '[method]incoming-request.headers':
    ({ state }) =>
    (self: number): number =>
      state.table.add(state.table.get(self, IncomingRequest).headers()),
  '[method]incoming-request.consume':
    ({ mem, state }) =>
    (self: number, ret: number): void => {
      const req = state.table.get(self, IncomingRequest);
      const ok = !req.consumed;
      req.consumed = true;
      storeHandleResult(mem, ret, ok ? state.table.add(new IncomingBody(req.body ?? new Uint8Array(0))) : undefined);
    },
  '[resource-drop]incoming-request':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, IncomingRequest),

  '[constructor]outgoing-request':
    ({ state }) =>
    (headers: number): number =>
      state.table.add(new OutgoingRequest(state.table.take(headers, Fields))),
  '[method]outgoing-request.body':
    ({ mem, state }) =>
    (self: number, ret: number): void => {
      const body = takeBody(state.table.get(self, OutgoingRequest), state.hostBytes);
      storeHandleResult(mem, ret, body && state.table.add(body));
    },
  '[method]outgoing-request.method':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      storeMethod(mem, ret, state.table.get(self, OutgoingRequest).method),
  '[method]outgoing-request.set-method':
    ({ mem, state }) =>
    (self: number, disc: number, ptr: number, len: number): number => {
      state.table.get(self, OutgoingRequest).method = liftMethod(mem, disc, ptr, len);
      return 0;
    },
  '[method]outgoing-request.path-with-query':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      mem.storeOptionString(ret, state.table.get(self, OutgoingRequest).pathWithQuery),
  '[method]outgoing-request.set-path-with-query':
    ({ mem, state }) =>
    (self: number, some: number, ptr: number, len: number): number => {
      state.table.get(self, OutgoingRequest).pathWithQuery = some ? mem.readString(ptr, len) : undefined;
      return 0;
    },
  '[method]outgoing-request.scheme':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      storeOptionScheme(mem, ret, state.table.get(self, OutgoingRequest).scheme),
  '[method]outgoing-request.set-scheme':
    ({ mem, state }) =>
    (self: number, some: number, disc: number, ptr: number, len: number): number => {
      state.table.get(self, OutgoingRequest).scheme = some ? liftScheme(mem, disc, ptr, len) : undefined;
      return 0;
    },
  '[method]outgoing-request.authority':
    ({ mem, state }) =>
    (self: number, ret: number): void =>
      mem.storeOptionString(ret, state.table.get(self, OutgoingRequest).authority),
  '[method]outgoing-request.set-authority':
    ({ mem, state }) =>
    (self: number, some: number, ptr: number, len: number): number => {
      state.table.get(self, OutgoingRequest).authority = some ? mem.readString(ptr, len) : undefined;
      return 0;
    },
  '[method]outgoing-request.headers':
    ({ state }) =>
    (self: number): number =>
      state.table.add(state.table.get(self, OutgoingRequest).headers),
  '[resource-drop]outgoing-request':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, OutgoingRequest),

  '[constructor]request-options':
    ({ state }) =>
    (): number =>
      state.table.add(new RequestOptions()),
  ...timeoutAccessors('connectTimeout', 'connect-timeout'),
  ...timeoutAccessors('firstByteTimeout', 'first-byte-timeout'),
  ...timeoutAccessors('betweenBytesTimeout', 'between-bytes-timeout'),
  '[resource-drop]request-options':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, RequestOptions),
};
