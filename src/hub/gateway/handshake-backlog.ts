/**
 * Whether the hub is behind on the connections it has accepted: TLS handshakes it has begun and not
 * finished, or connections waiting at its handshake gate, while its event loop is saturated. After a
 * hub restart the whole fleet redials at once, and a core takes ~500 full mutual-TLS handshakes a
 * second (`docs/benchmarks.md`, the hub's TLS handshakes): 5,000 returning nodes are ~10 s of CPU
 * before the first of them has said who it is.
 * A node whose handshake waits on the hub cannot prove it is alive, so the node lifecycle controller
 * asks this (`StartupCatchUp`) before it counts silence against nodes not heard from since the start.
 *
 * Both conditions are needed: a busy loop with no connection waiting does not make the hub behind. And
 * only handshakes begun within the last 10 s count (a node gives up on its handshake after that): a
 * connection left open without a ClientHello (a port scan, a health check) is no backlog of the hub's.
 */
import type { Server as TlsServer } from 'node:tls';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Handshakes older than this (the agent's handshake timeout) are its client's, not the hub's, backlog. */
export const HANDSHAKE_AGE_MS = 10_000;

/** Event-loop utilization at or above which the hub counts as saturated. */
export const SATURATED_UTILIZATION = 0.8;

/** The share of time the event loop was busy since the previous call (0..1). */
export function loopUtilizationSampler(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    return utilization;
  };
}

/** Counts the TLS handshakes in progress on a server and says whether the hub is behind on them. */
export class HandshakeBacklog {
  /** Accepted TCP connections whose TLS handshake has not finished, by remote address and port, oldest first. */
  readonly #pending = new Map<string, { socket: Socket; at: number }>();

  /**
   * `utilization`: the event loop's busy share since its previous call (a sampler of this process by
   * default); `now`: the clock handshakes are aged by.
   */
  constructor(
    private readonly utilization: () => number = loopUtilizationSampler(),
    private readonly now: () => number = Date.now,
  ) {}

  /** Connections accepted and not yet handed to the TLS server (`HandshakeGate`): none without a gate. */
  #queued: () => number = () => 0;

  /**
   * Follows `server`'s connections: counted from the TLS server taking them to the end of the handshake
   * (or the close). `queued` counts those accepted and still waiting for their turn.
   */
  attach(server: TlsServer, queued?: () => number): void {
    if (queued) this.#queued = queued;
    server.on('connection', (raw: Socket) => {
      const key = keyOf(raw);
      if (key === undefined) return;
      this.#pending.set(key, { socket: raw, at: this.now() });
      // The raw socket closes whatever became of the handshake (failed, abandoned, or done and later closed).
      raw.once('close', () => {
        if (this.#pending.get(key)?.socket === raw) this.#pending.delete(key);
      });
    });
    // The TLS socket reports the same remote address and port as the TCP connection under it.
    server.on('secureConnection', (socket: Socket) => {
      const key = keyOf(socket);
      if (key !== undefined) this.#pending.delete(key);
    });
  }

  /** TLS handshakes begun and not finished. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Whether handshakes begun in the last `HANDSHAKE_AGE_MS` wait while the event loop was saturated
   * since the previous call. Meant to be called once per check (each call starts a new utilization window).
   */
  behind(): boolean {
    if (this.utilization() < SATURATED_UTILIZATION) return false;
    if (this.#queued() > 0) return true; // a waiting connection is at most the gate's wait old
    const since = this.now() - HANDSHAKE_AGE_MS;
    // Newest last: a storm's young handshakes are found after at most the few old ones left open.
    for (const { at } of this.#pending.values()) if (at >= since) return true;
    return false;
  }
}

function keyOf(socket: Socket): string | undefined {
  const { remoteAddress, remotePort } = socket;
  return remoteAddress === undefined || remotePort === undefined ? undefined : `${remoteAddress}|${remotePort}`;
}
