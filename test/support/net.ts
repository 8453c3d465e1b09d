/**
 * Loopback networking for end-to-end tests: a free port to give a process, and a plain GET whose
 * status and body a test checks (no throw on a non-2xx answer).
 */
import { createServer } from 'node:net';

/** Ports this process handed out lately (`host:port`), oldest first: the OS may offer one again. */
const handedOut = new Set<string>();
const REMEMBERED = 4096;

/**
 * Asks the OS for a free TCP port on `host`, never one this process handed out lately: the port is
 * released at once, so two calls in a row could otherwise return the same one before either is bound
 * (CI saw a test registry and its token server, and an etcd member's ports, collide so).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await osFreePort(host);
    const key = `${host}:${port}`;
    if (handedOut.has(key)) continue;
    handedOut.add(key);
    if (handedOut.size > REMEMBERED) handedOut.delete(handedOut.values().next().value as string);
    return port;
  }
}

function osFreePort(host: string): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

/** GETs `url` and returns status + body text (no throw). */
export async function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}
