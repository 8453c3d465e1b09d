/**
 * Core-level imports of `wasi:http/types` and `wasi:http/outgoing-handler` (worker side). The types
 * interface is assembled from its resource kinds: fields (http-fields.ts), requests, responses and
 * bodies (http-request-types.ts, http-response-types.ts, http-body-types.ts); each function is the
 * canonical ABI's flat signature of its WIT function.
 */
import type { InterfaceImports } from './context.js';
import { bodyImports } from './http-body-types.js';
import { storeErrorCode } from './http-error-code.js';
import { fieldsImports } from './http-fields.js';
import { requestImports } from './http-request-types.js';
import { OutgoingRequest, RequestOptions } from './http-resources.js';
import { responseImports } from './http-response-types.js';

/** All of `wasi:http/types`. */
export const httpTypesImports: InterfaceImports = {
  ...fieldsImports,
  ...requestImports,
  ...responseImports,
  ...bodyImports,
};

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
