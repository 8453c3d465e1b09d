/**
 * Small pieces of the session's WebSocket handling: the options of a dial, reading a refused upgrade,
 * closing a socket with a deadline.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket, type ClientOptions } from 'ws';
import { MAX_HUB_FRAME_BYTES } from '../../api/index.js';
import type { HubSessionDeps } from './hub-session-deps.js';

/** The WebSocket options of one dial: credentials and trust current at this dial, the hub's frame bound. */
export function dialOptions(deps: Pick<HubSessionDeps, 'token' | 'ca' | 'tls'>): ClientOptions {
  const token = deps.token;
  return {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    // The pinned hub CA only (not the system store): a certificate of another CA is refused.
    ...(deps.ca !== undefined ? { ca: deps.ca } : {}),
    // The node's own certificate (and the same pinned CA), current at this dial.
    ...deps.tls?.(),
    handshakeTimeout: 10_000,
    maxPayload: MAX_HUB_FRAME_BYTES,
    perMessageDeflate: false,
  };
}

/** The hub's answer to an upgrade it refused: status and the start of its body. */
export interface UpgradeRefusal {
  status: number;
  /** At most 300 characters of the body, trimmed. */
  detail: string;
}

/** Reads a refused upgrade's answer (its body bounded), then calls `done`; a broken answer calls `failed`. */
export function readRefusal(res: IncomingMessage, done: (r: UpgradeRefusal) => void, failed: () => void): void {
  const status = res.statusCode ?? 0;
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    if (body.length < 1024) body += chunk;
  });
  res.on('end', () => done({ status, detail: body.trim().slice(0, 300) }));
  res.on('error', failed);
}

/** Closes `ws` cleanly (a dial still connecting is cut), forcing it after a second; resolves once closed. */
export async function closeSocket(ws: WebSocket, reason: string): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      ws.terminate();
      resolve();
    }, 1000);
    ws.once('close', () => {
      clearTimeout(force);
      resolve();
    });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(1000, reason);
  });
}
