/** The network socket under a request, where the client certificate is (absent under `app.request()`). */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/** The request's socket (a `TLSSocket` on an HTTPS hub), or undefined when served without one. */
export function peerSocket(c: Context): unknown {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket;
}
