/**
 * A runtime's side of its guests' outgoing HTTP calls on the main thread: the node's handler, the
 * default bound on a call nothing else bounds, and the *call depth* of the code running now.
 *
 * The depth is how the runtime tells a request that a blocked guest is waiting for (the node's
 * handler delivering a call to a Wasm pod of this runtime, in-process) from one that came from
 * outside: the handler runs inside an AsyncLocalStorage scope carrying the depth of the call, so
 * `endpoint().handle()` reached from it (however many awaits later) sees it. Such *nested* requests
 * go first and are never held back (see admission.ts): the executors their callers block can only be
 * freed by them. A call chain deeper than {@link MAX_CALL_DEPTH} is refused as `loop-detected`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { OutgoingCaller, OutgoingHttpHandler, WorkloadRequest, WorkloadResponse } from '../../api/index.js';

/** Calls nested deeper than this are refused (`loop-detected`): a service calling itself, say. */
export const MAX_CALL_DEPTH = 16;

/**
 * How long a guest whose deadline passed while it waited for an outgoing call has to finish once
 * the call is failed; still running after that, it overran (see WasmContainer). Generous: it was
 * its callee that was slow, and a busy device may not give it a core at once.
 */
export const OUTGOING_GRACE_MS = 2000;

/** The node's handler and the call-depth scope (see the file comment). */
export class OutgoingDispatch {
  readonly #depth = new AsyncLocalStorage<number>();

  constructor(
    readonly handler: OutgoingHttpHandler,
    /** The bound on a call that neither request-options nor a deadline bound. */
    readonly defaultTimeoutMs: number,
  ) {}

  /** 0 outside any call's handler; n inside the handler of a call made at depth n. */
  depth(): number {
    return this.#depth.getStore() ?? 0;
  }

  /** Runs the handler for a call made at `depth` (its caller's request depth + 1). */
  deliver(depth: number, caller: OutgoingCaller, req: WorkloadRequest): Promise<WorkloadResponse> {
    return this.#depth.run(depth, () => this.handler(caller, req));
  }
}
