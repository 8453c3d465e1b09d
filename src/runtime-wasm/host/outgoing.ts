/**
 * The seam for a guest's outgoing HTTP (`wasi:http/outgoing-handler`), worker side. Every instance
 * denies for now; the service mesh issue plugs in an implementation that resolves
 * `http://<service>[.<namespace>]` to an endpoint and answers with a `FutureIncomingResponse`.
 *
 * Contract: `handle` is synchronous (Node 20 cannot suspend a guest) and must never throw; a throw is
 * turned into `internal-error` by the caller, never a trap.
 */
import type { ErrorCode } from './http-error-code.js';
import type { FutureIncomingResponse, OutgoingRequest, RequestOptions } from './http-resources.js';

/** `result<future-incoming-response, error-code>` as a policy answers. */
export type OutgoingHandleResult = { tag: 'ok'; val: FutureIncomingResponse } | { tag: 'err'; val: ErrorCode };

/** Decides the fate of a guest's outgoing HTTP request. */
export interface OutgoingHttpPolicy {
  handle(request: OutgoingRequest, options: RequestOptions | undefined): OutgoingHandleResult;
}

/** The policy of an instance that has no network: every request is refused. */
export const denyAllOutgoingHttp: OutgoingHttpPolicy = {
  handle: () => ({ tag: 'err', val: { tag: 'HTTP-request-denied' } }),
};
