/**
 * Core-level imports of the response side of `wasi:http/types`: `response-outparam` (a handler's
 * answer), `outgoing-response`, `incoming-response` and `future-incoming-response` (a worker's answer).
 */
import type { InterfaceImports } from './context.js';
import { storeHandleResult, storeErrorResult, takeBody } from './http-abi.js';
import { errorCodeName, storeErrorCode } from './http-error-code.js';
import {
  Fields,
  FutureIncomingResponse,
  IncomingBody,
  IncomingResponse,
  OutgoingResponse,
  ResponseOutparam,
} from './http-resources.js';
import { Pollable } from './io-resources.js';

/** The response resources' functions. */
export const responseImports: InterfaceImports = {
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
};
