/**
 * Loopback networking for end-to-end tests: a free port to give a process, and a plain GET whose
 * status and body a test checks (no throw on a non-2xx answer).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Where test ports come from: below the kernel's ephemeral range and outside Kubernetes' NodePort
 * range (30000–32767, which the e2e hubs allocate from). The kernel picks every `listen(0)` port, and
 * the local port of every outgoing connection, from its ephemeral range (32768–60999 by default), so a
 * port found free there and let go could be taken by any socket of any process before the test binds
 * it: CI failed so (a NodePort an agent could not open, a registry and its token server on one port).
 */
const POOL = { first: 10_000, last: 29_999 };
/** Ports per vitest worker: parallel test files draw from slices of their own. */
const SLICE = 1_000;

/** The kernel's ephemeral range here, if it says (Linux). */
function ephemeralRange(): { first: number; last: number } | undefined {
  try {
    const [first, last] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return first && last ? { first, last } : undefined;
  } catch {
    return undefined;
  }
}

/** This process's slice of the pool: its vitest worker's (VITEST_POOL_ID), else by pid. */
function slice(): { first: number; size: number } | undefined {
  const eph = ephemeralRange();
  // A machine whose ephemeral range reaches into the pool gets the kernel's ports, as before.
  if (eph && eph.first <= POOL.last && eph.last >= POOL.first) return undefined;
  const slices = Math.floor((POOL.last - POOL.first + 1) / SLICE);
  const id = Number(process.env['VITEST_POOL_ID'] ?? process.pid);
  return { first: POOL.first + (Math.abs(id) % slices) * SLICE, size: SLICE };
}

const mine = slice();
/** Where the next search starts: random, so two runs side by side seldom meet; then round the slice. */
let cursor = Math.floor(Math.random() * SLICE);

/**
 * A TCP port nothing listens on at `host` now, for a test to give a process or bind later. From this
 * worker's slice of ports the kernel never hands out by itself, taken in turn, so none is handed out
 * again until the whole slice has been; a port something holds is passed over.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  if (!mine) return kernelPort(host);
  for (let tried = 0; tried < mine.size; tried++) {
    const port = mine.first + (cursor++ % mine.size);
    if (await bindable(host, port)) return port;
  }
  throw new Error(`no free port in ${mine.first}-${mine.first + mine.size - 1} on ${host}`);
}

/** Whether a listener can be opened on `host:port` now (it is closed again at once). */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A port the kernel picks (where the pool is not safe from it). */
function kernelPort(host: string): Promise<number> {
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
