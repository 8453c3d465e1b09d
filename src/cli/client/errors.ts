/**
 * Client-side errors: the hub could not be reached, or it refused the token. Errors the hub itself
 * returned (Status bodies) are the `EdgeError`s of `fromStatus`, remembered here so the CLI can print
 * them as kubectl does (`Error from server (NotFound): …`) and everything else as `error: …`.
 */
import type { FieldCause } from '../../api/index.js';
import { EdgeError, StatusReason, fromStatus } from '../../api/lite.js';

/** The hub did not answer at the transport level (refused, DNS, TLS, reset). */
export class HubUnreachableError extends EdgeError {
  constructor(server: string, detail: string, cause?: unknown) {
    super(StatusReason.ServiceUnavailable, 503, `cannot reach the hub at ${server}: ${detail}`, {
      retryable: true,
      cause,
    });
  }
}

/** The hub answered 401: the token is missing, wrong or expired. */
export class TokenRefusedError extends EdgeError {
  constructor() {
    super(
      StatusReason.Unauthorized,
      401,
      'the hub refused the token (401 Unauthorized): check --token-file / EDGE_TOKEN / the config file',
    );
  }
}

/** The hub answered 2xx with a body that is not the REST shape of the call (a wrong server, a proxy, a bug). */
export class InvalidAnswerError extends EdgeError {
  constructor(what: string, causes: FieldCause[]) {
    const first = causes[0];
    const detail = first ? `: ${first.field === '' ? '' : `${first.field}: `}${first.message}` : '';
    super(StatusReason.InternalError, 502, `invalid answer to ${what}${detail}`, { causes });
  }
}

const fromServer = new WeakSet<EdgeError>();

/** Builds the error of a non-2xx answer from its (possibly non-Status) body. */
export function errorFromResponse(statusCode: number, bodyText: string): EdgeError {
  if (statusCode === 401) return new TokenRefusedError();
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    // Not a Status (a proxy's HTML page, plain text): keep the text as the message.
    body = {
      message: bodyText.trim() === '' ? `HTTP ${statusCode}` : `HTTP ${statusCode}: ${bodyText.trim().slice(0, 500)}`,
    };
  }
  const err = fromStatus(body, statusCode);
  fromServer.add(err);
  return err;
}

/**
 * The hub's error with kubectl's context in front of its message and without its field causes, as
 * kubectl words a list it could not make (`Unable to find "/v1, Resource=pods" that match …: …`).
 */
export function withListContext(err: EdgeError, message: string): EdgeError {
  const out = new EdgeError(err.code, err.httpStatus, `${message}: ${err.message}`, { cause: err });
  fromServer.add(out);
  return out;
}

/** True when `err` is an error the hub returned as a Status (not a local or transport error). */
export function isServerError(err: unknown): err is EdgeError {
  return err instanceof EdgeError && fromServer.has(err);
}

const TRUST_HINT = 'give the hub CA with certificate-authority(-data) in the config file or EDGE_CA_FILE';
/** Node's TLS verification failures, said plainly, with what to do about them. */
const TLS_FAILURES: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: `the hub's certificate is not signed by a trusted CA; ${TRUST_HINT}`,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: `the hub's certificate is not signed by a trusted CA; ${TRUST_HINT}`,
  SELF_SIGNED_CERT_IN_CHAIN: `the hub's certificate is not signed by a trusted CA; ${TRUST_HINT}`,
  DEPTH_ZERO_SELF_SIGNED_CERT: `the hub's certificate is self-signed and not trusted; ${TRUST_HINT}`,
  ERR_TLS_CERT_ALTNAME_INVALID:
    "the hub's certificate is not valid for this host name (start the hub with --tls-san for it, or use a name it has)",
  CERT_HAS_EXPIRED: "the hub's certificate has expired",
  CERT_NOT_YET_VALID: "the hub's certificate is not valid yet (check the clocks)",
  EPROTO: 'the server does not speak TLS (is it a plain-HTTP hub? then use http://)',
};

/** Turns a transport failure (node http/https) into HubUnreachableError with the short reason (`connect ECONNREFUSED`). */
export function transportError(server: string, err: unknown): EdgeError {
  if (err instanceof EdgeError) return err;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
  if (e?.name === 'AbortError') return new EdgeError(StatusReason.Timeout, 499, 'request aborted', { cause: err });
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const inner = e?.cause as { code?: unknown; message?: unknown } | undefined;
  const innerCode = typeof inner?.code === 'string' ? inner.code : undefined;
  const effective = code && code.startsWith('E') && !code.startsWith('ERR_') ? code : (innerCode ?? code);
  let detail: string;
  if (effective === 'ECONNREFUSED') detail = 'connect ECONNREFUSED';
  else if (effective === 'ENOTFOUND' || effective === 'EAI_AGAIN') detail = `getaddrinfo ${effective}`;
  else if (effective === 'ECONNRESET')
    // A TLS hub drops plain HTTP (it serves TLS by default): say so for an http:// server.
    detail = /^http:/i.test(server)
      ? 'connection reset (ECONNRESET): is the hub serving TLS? then use https://'
      : 'connection reset (ECONNRESET)';
  else if (effective === 'UND_ERR_CONNECT_TIMEOUT' || effective === 'ETIMEDOUT') detail = 'connect timeout';
  else if (effective !== undefined && TLS_FAILURES[effective] !== undefined)
    detail = `TLS: ${TLS_FAILURES[effective]} (${effective})`;
  else detail = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  return new HubUnreachableError(server, detail, err);
}
