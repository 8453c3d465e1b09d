/**
 * The seam for a guest's outgoing HTTP (`wasi:http/outgoing-handler`), worker side. An instance of
 * a runtime without an outgoing handler (or one whose spec names no caller) denies everything; the
 * others get the worker's {@link OutgoingClient} (outgoing-client.ts), which carries each request to
 * the node's handler on the main thread and answers with a `FutureIncomingResponse` that settles
 * when the reply comes back.
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
