/**
 * The node's sources query to the hub (`GET {BLOB_PATH}/<digest>/sources`): with the same credentials
 * as its blob downloads (its certificate, or the token of a plain-HTTP hub, which then names the node in
 * `?node=`) and a short timeout — this only saves bytes, it must never hold a pull up.
 */
import type { Dispatcher } from 'undici';
import { undici } from '../../platform/index.js';
import { BLOB_PATH, BLOB_SOURCES_SUFFIX } from '../../api/index.js';

/** Options of {@link hubBlobSources}. */
export interface HubBlobSourcesOptions {
  /** The current hub's base URL. */
  hubBase: () => string;
  /** This node's name (sent only with a token: a certificate names the node already). */
  nodeName: string;
  token?: string;
  dispatcher?: () => Dispatcher;
  /** Pinned hub CA (PEM) when there is no dispatcher. */
  ca?: string;
  /** Timeout of the whole query (default 3 s). */
  timeoutMs?: number;
}

/** Queries the hub for the zone peers holding a digest; resolves to the parsed JSON body. */
export function hubBlobSources(opts: HubBlobSourcesOptions): (digest: string) => Promise<unknown> {
  let pinned: Dispatcher | undefined;
  const timeoutMs = opts.timeoutMs ?? 3_000;
  return async (digest) => {
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    const query = opts.token !== undefined ? `?node=${encodeURIComponent(opts.nodeName)}` : '';
    const { Agent, request } = undici();
    if (opts.ca !== undefined) pinned ??= new Agent({ connect: { ca: opts.ca } });
    const dispatcher = opts.dispatcher?.() ?? pinned;
    const res = await request(`${opts.hubBase()}${BLOB_PATH}/${digest}${BLOB_SOURCES_SUFFIX}${query}`, {
      method: 'GET',
      headers,
      ...(dispatcher ? { dispatcher } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => undefined);
      throw new Error(`the hub answered ${res.statusCode}`);
    }
    return res.body.json();
  };
}
