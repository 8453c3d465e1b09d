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
  // A relayed dial (mesh/relay) whose relay through the hub could not be opened: nothing was sent.
  'ERR_MESH_RELAY_UNAVAILABLE',
]);
/**
 * A kept-alive connection that broke before any of the response came (the peer died or restarted):
 * for an idempotent method, as good as a connect failure — the request may be sent elsewhere.
 */
const RESET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
/**
 * A mesh hop's TLS handshake that failed: the peer's certificate did not verify or named another node
 * (the sender never sends a request to it), or the peer refused ours with an alert (its server
 * processed nothing). As good as a connect failure.
 */
const TLS_HANDSHAKE_ERRORS = new Set([
  'ERR_MESH_PEER_IDENTITY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_PURPOSE',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
]);
/** A TLS alert (`ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`, `ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE`, …). */
const TLS_ALERT = /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_/;
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
  return CONNECT_ERRORS.has(code) || isTlsHandshakeError(code) || (idempotent && RESET_ERRORS.has(code));
}

/** True when a socket error `code` is a refused TLS handshake (a certificate that did not verify, an alert). */
export function isTlsHandshakeError(code: string): boolean {
  return TLS_HANDSHAKE_ERRORS.has(code) || TLS_ALERT.test(code);
}
