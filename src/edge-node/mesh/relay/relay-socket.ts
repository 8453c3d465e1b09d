/**
 * A WebSocket to one of the hub's relay paths, authenticated with the node's certificate, and the
 * byte stream over it (each binary message a chunk; ws's stream keeps the write side's backpressure).
 */
import type { Duplex } from 'node:stream';
import { WebSocket, createWebSocketStream } from 'ws';
import { MAX_RELAY_MESSAGE_BYTES } from '../../../api/index.js';

/** How the node reaches its hub for the relay: the hub in use now and the node's TLS credentials for it. */
export interface RelayHubLink {
  /** Base URL of the hub the node's session is on (`https://10.0.0.1:7400`). */
  base(): string;
  /** The node's certificate and key and the pinned hub CA, current at this dial. `key` is a secret. */
  tls(): { ca: string; cert: string; key: string };
  /**
   * Every hub of the cluster the node knows (several hubs): a hub's redirect of a dial to the hub its
   * peer is on is followed only to one of these. Without it, only `base()` counts.
   */
  hubs?(): readonly string[];
}

/** Why a relay socket could not be opened (the hub refused it, or it could not be reached). */
export class RelayUnavailableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** Where a redirect (307) sends the dial: another hub's dial URL. */
    readonly location?: string,
  ) {
    super(message);
    this.name = 'RelayUnavailableError';
  }
}

/** The WebSocket URL of `path` on the hub `link` names now (or on the hub at `base`). */
export function relayUrl(link: RelayHubLink, path: string, query: Record<string, string>, base = link.base()): string {
  const ws = base.replace(/^http/i, 'ws').replace(/\/+$/, '');
  return `${ws}${path}?${new URLSearchParams(query).toString()}`;
}

/**
 * The hub a redirect of a dial names, when it is one of the hubs the node knows and the path is the
 * dial's own (undefined otherwise: a redirect anywhere else is not followed).
 */
export function redirectedHub(link: RelayHubLink, location: string | undefined, path: string): string | undefined {
  if (location === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(location.replace(/^ws/i, 'http'));
  } catch {
    return undefined;
  }
  // A known hub's base (with its path, when it is served under one) followed by the dial path.
  const where = `${url.origin}${url.pathname}`;
  for (const hub of [link.base(), ...(link.hubs?.() ?? [])]) {
    let base: string;
    try {
      const u = new URL(hub.replace(/^ws/i, 'http'));
      base = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
    } catch {
      continue;
    }
    if (where === `${base}${path}`) return base;
  }
  return undefined;
}

/** Opens a WebSocket to the hub (not yet open: the caller listens for `open`). */
export function relaySocket(
  link: RelayHubLink,
  path: string,
  query: Record<string, string>,
  timeoutMs: number,
  base?: string,
): WebSocket {
  return new WebSocket(relayUrl(link, path, query, base), {
    ...link.tls(),
    handshakeTimeout: timeoutMs,
    maxPayload: MAX_RELAY_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
}

/** Resolves with the byte stream of `ws` once it is open; rejects with a RelayUnavailableError. */
export function openedStream(ws: WebSocket): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(createWebSocketStream(ws)));
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 300) body += c;
      });
      res.on('end', () => {
        req.destroy();
        ws.terminate();
        const location = res.headers.location;
        reject(
          new RelayUnavailableError(
            `the hub refused the relay (HTTP ${res.statusCode ?? 0}): ${body.trim()}`,
            res.statusCode,
            typeof location === 'string' ? location : undefined,
          ),
        );
      });
    });
    ws.once('error', (err) => reject(new RelayUnavailableError(`the hub relay cannot be reached: ${err.message}`)));
  });
}
