/**
 * Client-side errors: the hub could not be reached, or it refused the token. Errors the hub itself
 * returned (Status bodies) are the `EdgeError`s of `fromStatus`, remembered here so the CLI can print
 * them as kubectl does (`Error from server (NotFound): …`) and everything else as `error: …`.
 */
import type { z } from 'zod';
import { EdgeError, StatusReason, fromStatus, issuesToCauses } from '../../api/index.js';

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
      'the hub refused the token (401 Unauthorized): check --token / EDGE_TOKEN / the config file',
    );
  }
}

/** The hub answered 2xx with a body that is not the REST shape of the call (a wrong server, a proxy, a bug). */
export class InvalidAnswerError extends EdgeError {
  constructor(what: string, issues: readonly z.core.$ZodIssue[]) {
    const causes = issuesToCauses(issues);
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

/** True when `err` is an error the hub returned as a Status (not a local or transport error). */
export function isServerError(err: unknown): err is EdgeError {
  return err instanceof EdgeError && fromServer.has(err);
}

/** Turns a transport failure of undici into HubUnreachableError with the short reason (`connect ECONNREFUSED`). */
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
  else if (effective === 'ECONNRESET') detail = 'connection reset (ECONNRESET)';
  else if (effective === 'UND_ERR_CONNECT_TIMEOUT' || effective === 'ETIMEDOUT') detail = 'connect timeout';
  else detail = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  return new HubUnreachableError(server, detail, err);
}
