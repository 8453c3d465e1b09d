/**
 * Core-level imports of the bodies of `wasi:http/types`: `outgoing-body`, `incoming-body`,
 * `future-trailers`, and `http-error-code` of an io error.
 */
import type { InterfaceImports } from './context.js';
import { storeHandleResult, storeErrorResult } from './http-abi.js';
import { Fields, FutureTrailers, IncomingBody, OutgoingBody } from './http-resources.js';
import { IoError, Pollable } from './io-resources.js';

/** The body resources' functions. */
export const bodyImports: InterfaceImports = {
  '[method]outgoing-body.write':
    ({ mem, state }) =>
    (self: number, ret: number): void => {
      const body = state.table.get(self, OutgoingBody);
      storeHandleResult(mem, ret, body.stream ? undefined : state.table.add(body.write()));
    },
  '[static]outgoing-body.finish':
    ({ mem, state }) =>
    (self: number, hasTrailers: number, trailers: number, ret: number): void => {
      const body = state.table.take(self, OutgoingBody);
      if (hasTrailers) state.table.take(trailers, Fields); // trailers are not forwarded
      body.finish();
      storeErrorResult(mem, ret, undefined);
    },
  '[resource-drop]outgoing-body':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, OutgoingBody),

  '[method]incoming-body.stream':
    ({ mem, state }) =>
    (self: number, ret: number): void => {
      const body = state.table.get(self, IncomingBody);
      storeHandleResult(mem, ret, body.streamTaken ? undefined : state.table.add(body.stream()));
    },
  '[static]incoming-body.finish':
    ({ state }) =>
    (self: number): number => {
      state.table.take(self, IncomingBody);
      return state.table.add(new FutureTrailers());
    },
  '[resource-drop]incoming-body':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, IncomingBody),

  '[method]future-trailers.subscribe':
    ({ state }) =>
    (self: number): number => {
      state.table.get(self, FutureTrailers);
      return state.table.add(new Pollable());
    },
  // option<result<result<option<trailers>, error-code>>>: cases at +0, +8, +16; option<trailers> at +24.
  '[method]future-trailers.get':
    ({ mem, state }) =>
    (self: number, ret: number): void => {
      const f = state.table.get(self, FutureTrailers);
      const u8 = mem.u8;
      u8[ret] = 1;
      u8[ret + 8] = f.taken ? 1 : 0;
      u8[ret + 16] = 0;
      u8[ret + 24] = 0;
      f.taken = true;
    },
  '[resource-drop]future-trailers':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, FutureTrailers),

  // option<error-code>: our io errors never carry an HTTP error code.
  'http-error-code':
    ({ mem, state }) =>
    (err: number, ret: number): void => {
      state.table.get(err, IoError);
      mem.u8[ret] = 0;
    },
};
