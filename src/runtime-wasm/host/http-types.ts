/**
 * Core-level imports of `wasi:http/types` (requests, responses, bodies, options) and
 * `wasi:http/outgoing-handler` (worker side). Together with http-fields.ts this is the whole
 * interface; each function is the canonical ABI's flat signature of its WIT function.
 */
import type { CoreContext, InterfaceImports } from './context.js';
import type { HostBytes } from './host-bytes.js';
import type { GuestMemory } from './guest-memory.js';
import { errorCodeName, storeErrorCode, type ErrorCode } from './http-error-code.js';
import { fieldsImports, liftMethod, liftScheme, storeMethod, storeOptionScheme } from './http-fields.js';
import {
  Fields,
  FutureIncomingResponse,
  FutureTrailers,
  IncomingBody,
  IncomingRequest,
  IncomingResponse,
  OutgoingBody,
  OutgoingRequest,
  OutgoingResponse,
  RequestOptions,
  ResponseOutparam,
} from './http-resources.js';
import { IoError, Pollable } from './io-resources.js';

/** `result<own<T>>` with a unit error: case at +0, handle at +4. */
function storeHandleResult(mem: GuestMemory, ret: number, handle: number | undefined): void {
  if (handle === undefined) {
    mem.u8[ret] = 1;
    return;
  }
  mem.dv.setUint32(ret + 4, handle, true);
  mem.u8[ret] = 0;
}

/** `result<_, error-code>`: case at +0, error-code at +8. */
function storeErrorResult(mem: GuestMemory, ret: number, error: ErrorCode | undefined): void {
  if (error) storeErrorCode(mem, ret + 8, error);
  mem.u8[ret] = error ? 1 : 0;
}

/** `option<u64>`: case at +0, value at +8. */
function storeOptionU64(mem: GuestMemory, ret: number, value: bigint | undefined): void {
  if (value !== undefined) mem.dv.setBigUint64(ret + 8, value, true);
  mem.u8[ret] = value === undefined ? 0 : 1;
}

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

/** A body's write side (once); `undefined` when already taken. */
function takeBody(owner: { body: OutgoingBody | undefined }, budget: HostBytes): OutgoingBody | undefined {
  if (owner.body) return undefined;
  owner.body = new OutgoingBody(budget);
  return owner.body;
}

const requestImports: InterfaceImports = {
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

const responseImports: InterfaceImports = {
  '[static]response-outparam.set':
    ({ mem, state }) =>
    (param: number, isErr: number, a0: number, _a1: number, a2: bigint | number, a3: number): void => {
      const out = state.table.take(param, ResponseOutparam);
      if (!isErr) {
        out.outcome = { response: state.table.take(a0, OutgoingResponse) };
        return;
      }
      const tag = errorCodeName(a0);
      // internal-error(option<string>): option case in a1, string (ptr, len) in a2 (joined to i64), a3.
      const message = tag === 'internal-error' && _a1 === 1 ? mem.readString(Number(a2), a3) : undefined;
      out.outcome = { error: message === undefined ? { tag } : { tag, message } };
    },
  '[method]response-outparam.send-informational':
    ({ mem, state }) =>
    (self: number, _status: number, headers: number, ret: number): void => {
      state.table.get(self, ResponseOutparam);
      state.table.take(headers, Fields);
      storeErrorResult(mem, ret, undefined); // informational responses are not forwarded
    },
  '[resource-drop]response-outparam':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, ResponseOutparam),

  '[constructor]outgoing-response':
    ({ state }) =>
    (headers: number): number =>
      state.table.add(new OutgoingResponse(state.table.take(headers, Fields))),
  '[method]outgoing-response.status-code':
    ({ state }) =>
    (self: number): number =>
      state.table.get(self, OutgoingResponse).status,
  '[method]outgoing-response.set-status-code':
    ({ state }) =>
    (self: number, status: number): number => {
      const res = state.table.get(self, OutgoingResponse);
      if (status < 100 || status > 999) return 1;
      res.status = status;
      return 0;
    },
  '[method]outgoing-response.headers':
    ({ state }) =>
    (self: number): number =>
      state.table.add(state.table.get(self, OutgoingResponse).headers),
  '[method]outgoing-response.body':
    ({ mem, state }) =>
    (self: number, ret: number): void => {
      const body = takeBody(state.table.get(self, OutgoingResponse), state.hostBytes);
      storeHandleResult(mem, ret, body && state.table.add(body));
    },
  '[resource-drop]outgoing-response':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, OutgoingResponse),

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

  '[method]incoming-response.status':
    ({ state }) =>
    (self: number): number =>
      state.table.get(self, IncomingResponse).status,
  '[method]incoming-response.headers':
    ({ state }) =>
    (self: number): number =>
      state.table.add(state.table.get(self, IncomingResponse).headers),
  '[method]incoming-response.consume':
    ({ mem, state }) =>
    (self: number, ret: number): void => {
      const res = state.table.get(self, IncomingResponse);
      const ok = !res.consumed;
      res.consumed = true;
      storeHandleResult(mem, ret, ok ? state.table.add(new IncomingBody(res.body)) : undefined);
    },
  '[resource-drop]incoming-response':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, IncomingResponse),

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

  '[method]future-incoming-response.subscribe':
    ({ state }) =>
    (self: number): number =>
      state.table.add(new Pollable(undefined, state.table.get(self, FutureIncomingResponse))),
  // option<result<result<incoming-response, error-code>>>: cases at +0, +8, +16; payload at +24.
  // `none` until the answer is there (never blocks).
  '[method]future-incoming-response.get':
    ({ mem, state }) =>
    (self: number, ret: number): void => {
      const f = state.table.get(self, FutureIncomingResponse);
      if (f.taken) {
        mem.u8[ret + 8] = 1;
        mem.u8[ret] = 1;
        return;
      }
      const outcome = f.outcome;
      if (outcome === undefined) {
        mem.u8[ret] = 0;
        return;
      }
      f.taken = true;
      if ('response' in outcome) {
        mem.dv.setUint32(ret + 24, state.table.add(outcome.response), true);
        mem.u8[ret + 16] = 0;
      } else {
        storeErrorCode(mem, ret + 24, outcome.error);
        mem.u8[ret + 16] = 1;
      }
      mem.u8[ret + 8] = 0;
      mem.u8[ret] = 1;
    },
  '[resource-drop]future-incoming-response':
    ({ state }) =>
    (h: number): void =>
      state.table.drop(h, FutureIncomingResponse),

  // option<error-code>: our io errors never carry an HTTP error code.
  'http-error-code':
    ({ mem, state }) =>
    (err: number, ret: number): void => {
      state.table.get(err, IoError);
      mem.u8[ret] = 0;
    },
};

/** All of `wasi:http/types`. */
export const httpTypesImports: InterfaceImports = { ...fieldsImports, ...requestImports, ...responseImports };

/** `wasi:http/outgoing-handler`: asks the instance's policy; never traps. */
export const outgoingHandlerImports: InterfaceImports = {
  handle:
    ({ mem, state }) =>
    (request: number, hasOptions: number, options: number, ret: number): void => {
      const req = state.table.take(request, OutgoingRequest);
      const opts = hasOptions ? state.table.take(options, RequestOptions) : undefined;
      let result;
      try {
        result = state.outgoing.handle(req, opts);
      } catch (err) {
        result = {
          tag: 'err',
          val: { tag: 'internal-error', message: err instanceof Error ? err.message : String(err) },
        } as const;
      }
      if (result.tag === 'ok') {
        mem.dv.setUint32(ret + 8, state.table.add(result.val), true);
        mem.u8[ret] = 0;
        return;
      }
      storeErrorCode(mem, ret + 8, result.val);
      mem.u8[ret] = 1;
    },
};
