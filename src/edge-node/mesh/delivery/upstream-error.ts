/**
 * When a failed delivery may be tried on another endpoint: only when nothing was processed upstream
 * (the connection could not be made, or — for a method that may be sent twice — a kept-alive one
 * broke before any of the answer came).
 */

/**
 * The upstream could not be reached (nothing was processed there): another endpoint may be tried.
 * `nodeUnreachable`: the peer node itself (connection refused or broken), not just that pod;
 * `code`: the socket error code when there was one (`ECONNREFUSED`, `ENOTFOUND`, …).
 */
export class UpstreamUnreachableError extends Error {
  constructor(
    message: string,
    readonly nodeUnreachable = false,
    readonly code?: string,
  ) {
    super(message);
  }
}

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'EADDRNOTAVAIL',
]);
/**
 * A kept-alive connection that broke before any of the response came (the peer died or restarted):
 * for an idempotent method, as good as a connect failure — the request may be sent elsewhere.
 */
const RESET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** True for methods that may be sent twice (RFC 9110 §9.2.2). */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/**
 * True when a socket error `code` from before any answer means nothing reached the upstream (always
 * for a connect failure; for a broken kept-alive connection only when the method is `idempotent`).
 */
export function isRetriableSocketError(code: string, idempotent: boolean): boolean {
  return CONNECT_ERRORS.has(code) || (idempotent && RESET_ERRORS.has(code));
}
