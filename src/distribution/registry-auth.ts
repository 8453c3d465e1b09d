/**
 * Registry authorization as the distribution spec defines it: a `401` carries a `WWW-Authenticate`
 * challenge; `Basic` is answered with the node's credentials, `Bearer` by fetching a token from the
 * challenge's realm (anonymously, or with the credentials as basic auth) for the scope asked. Tokens
 * are cached per registry and scope until shortly before they expire.
 *
 * The realm is named by the registry, so it is not trusted: the node's credentials go to it only over
 * https (or plain http when the registry itself is reached over plain http, i.e. it is loopback or
 * listed in `--oci-insecure-registry`), the token request follows no redirect, and its answer is read
 * with a size bound and a deadline.
 */
import { createHash } from 'node:crypto';

import { undici } from '../platform/index.js';
import { ImagePullError, errorMessage } from '../api/index.js';
import type { RegistryAuth } from './platform.js';
import { MAX_SMALL_BODY_BYTES, clip, readCapped } from './bounded-body.js';

/** A parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses the first challenge of a `WWW-Authenticate` header (`Bearer realm="…",service="…",scope="…"`). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  const rest = m[2] ?? '';
  let p: RegExpExecArray | null;
  while ((p = re.exec(rest)) !== null && p[0] !== '') {
    params[(p[1] ?? '').toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme: (m[1] ?? '').toLowerCase(), params };
}

interface CachedAuth {
  header: string;
  expiresAt: number;
}

const DEFAULT_TOKEN_SECONDS = 60;
const DEFAULT_TOKEN_TIMEOUT_MS = 30_000;

/** How a challenge is answered. */
export interface AuthorizeOptions {
  signal?: AbortSignal;
  /** The registry is reached over plain http (loopback or `--oci-insecure-registry`): an http realm is accepted too. */
  insecureRegistry?: boolean;
  /** Deadline of the whole token request, body included (default 30 s). */
  timeoutMs?: number;
}

/** The cache key of a token: registry, scope and a digest of the credentials (never the secret itself). */
function cacheKey(registry: string, scope: string, creds: RegistryAuth | undefined): string {
  const who = creds ? createHash('sha256').update(`${creds.username}\0${creds.password}`).digest('hex') : '-';
  return `${registry} ${scope} ${who}`;
}

/** Answers challenges and caches what it got. */
export class RegistryAuthorizer {
  readonly #cache = new Map<string, CachedAuth>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The cached `Authorization` value for `registry` and `scope` got with `creds`, if still valid. Keyed
   * by the credentials too: a token a pod's pull secret earned must not serve a pull without it.
   */
  cached(registry: string, scope: string, creds?: RegistryAuth): string | undefined {
    const hit = this.#cache.get(cacheKey(registry, scope, creds));
    if (hit && hit.expiresAt > this.now()) return hit.header;
    return undefined;
  }

  /** Answers `challenge` for `scope`; returns the `Authorization` header value to retry with. */
  async authorize(
    registry: string,
    challenge: Challenge,
    scope: string,
    creds: RegistryAuth | undefined,
    opts: AuthorizeOptions = {},
  ): Promise<string> {
    let header: string;
    let seconds: number;
    if (challenge.scheme === 'basic') {
      if (!creds)
        throw new ImagePullError(`registry ${registry} requires credentials (basic auth) and the node has none for it`);
      header = basic(creds);
      seconds = 3600;
    } else if (challenge.scheme === 'bearer') {
      const token = await this.#fetchToken(registry, challenge, scope, creds, opts);
      header = `Bearer ${token.token}`;
      seconds = token.expiresIn;
    } else {
      throw new ImagePullError(`registry ${registry} asks for unsupported authentication "${challenge.scheme}"`);
    }
    // Expire a little early: a token that dies mid-request costs a retry.
    this.#cache.set(cacheKey(registry, scope, creds), {
      header,
      expiresAt: this.now() + Math.max(1, seconds - 10) * 1000,
    });
    return header;
  }

  async #fetchToken(
    registry: string,
    ch: Challenge,
    scope: string,
    creds: RegistryAuth | undefined,
    opts: AuthorizeOptions,
  ): Promise<{ token: string; expiresIn: number }> {
    const realm = ch.params.realm;
    if (!realm) throw new ImagePullError(`registry ${registry} sent a Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new ImagePullError(`registry ${registry} sent an invalid token realm ${JSON.stringify(clip(realm, 200))}`);
    }
    // A registry reached over https that names a plain-http realm asks the node to send its
    // credentials (and take a token) in clear text: refused, whether or not the node has credentials.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && opts.insecureRegistry)) {
      throw new ImagePullError(
        `registry ${registry} names the token realm ${clip(url.origin, 200)}, which is not https: the node sends credentials to a token server only over https` +
          ` (plain http only for a registry itself reached over http: loopback or --oci-insecure-registry)`,
      );
    }
    if (url.username || url.password)
      throw new ImagePullError(`registry ${registry} names a token realm with credentials in its URL`);
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    for (const s of (ch.params.scope ?? scope).split(' ')) if (s) url.searchParams.append('scope', s);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (creds) headers.authorization = basic(creds);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TOKEN_TIMEOUT_MS;
    // One deadline for headers and body together: a token server that drips its answer a byte at a
    // time never trips an idle timeout.
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
    const what = `token from ${clip(url.origin, 200)} for ${registry}`;
    let status: number;
    let text: string;
    try {
      const res = await undici().request(url, {
        method: 'GET',
        headers,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = res.statusCode;
      text = Buffer.from(await readCapped(res, MAX_SMALL_BODY_BYTES, what)).toString('utf8');
    } catch (err) {
      if (deadline.aborted && !opts.signal?.aborted)
        throw new ImagePullError(`cannot get a ${what}: no whole answer within ${timeoutMs} ms`, err);
      if (err instanceof ImagePullError) throw err;
      throw new ImagePullError(`cannot get a ${what}: ${errorMessage(err)}`, err);
    }
    if (status === 401 || status === 403) {
      throw new ImagePullError(
        `registry ${registry} refused ${creds ? `the credentials of user "${clip(creds.username, 100)}"` : 'anonymous access'} (token server answered ${status})`,
      );
    }
    if (status !== 200)
      throw new ImagePullError(`token server of ${registry} answered ${status}: ${clip(text.trim(), 200)}`);
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new ImagePullError(`token server of ${registry} answered with something that is not JSON`);
    }
    // JSON, but not necessarily an object: `null`, a number or an array has no token either.
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ImagePullError(`token server of ${registry} answered JSON that is not an object`);
    const token =
      typeof body.token === 'string'
        ? body.token
        : typeof body.access_token === 'string'
          ? body.access_token
          : undefined;
    if (!token) throw new ImagePullError(`token server of ${registry} answered without a token`);
    const expiresIn =
      typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, expiresIn };
  }
}

function basic(c: RegistryAuth): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}
