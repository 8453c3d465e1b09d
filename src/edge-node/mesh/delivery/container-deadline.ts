/**
 * The deadline of a request delivered to a container's port (an OCI pod): the caller's remaining
 * budget (a mesh hop's, a route's) bounded by the pod's own `edgeplane.io/request-timeout`, else by
 * the node's `--request-timeout` — as a Wasm container's (src/api/request-deadline.ts). Past it the
 * deliverer aborts the request (its own timer: undici's headers and body timeouts, kept as a
 * backstop, fire up to ~1 s late), which closes the connection and so the container's side of the
 * request, and the node answers 504 naming which limit it was.
 */
import { requestDeadlineMs } from '../../../api/index.js';

/** One request's deadline and where it came from (said in the 504). */
export interface ContainerDeadline {
  ms: number;
  source: "the caller's deadline" | "the pod's edgeplane.io/request-timeout" | "the node's --request-timeout";
}

/** The deadline of one request to a container port (see the header). */
export function containerDeadline(
  requestedMs: number | undefined,
  podMs: number | undefined,
  nodeMs: number,
): ContainerDeadline {
  const ms = requestDeadlineMs(requestedMs, podMs, nodeMs);
  const own = podMs ?? nodeMs;
  if (requestedMs !== undefined && requestedMs < own) return { ms, source: "the caller's deadline" };
  return {
    ms,
    source: podMs !== undefined ? "the pod's edgeplane.io/request-timeout" : "the node's --request-timeout",
  };
}

/** The request was aborted at its deadline. */
export class ContainerDeadlineError extends Error {
  readonly code = 'EDGEPLANE_CONTAINER_DEADLINE';
  constructor(readonly deadline: ContainerDeadline) {
    super(`no answer within ${deadline.ms} ms (${deadline.source})`);
    this.name = 'ContainerDeadlineError';
  }
}

/** Whether the request was given up at its deadline before its answer's headers came (ours, or undici's backstop). */
export function isDeadlineError(err: unknown): boolean {
  return (
    err instanceof ContainerDeadlineError || (err as { code?: unknown } | null)?.code === 'UND_ERR_HEADERS_TIMEOUT'
  );
}
