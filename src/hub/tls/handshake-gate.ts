/**
 * Admission at accept: how many TLS handshakes the hub works on at once.
 *
 * A full mutual-TLS handshake costs the hub ~1.9 ms of CPU (`docs/benchmarks.md`, the hub's TLS
 * handshakes), in two halves: the ServerHello (a signature) when the ClientHello arrives, and the
 * client's certificate when its reply does. When a whole fleet dials at once (a first start, a hub
 * restart), every ClientHello is read before any reply, so the hub signs for thousands before it
 * finishes one. The handshakes finish together, late, and past the clients' 10 s timeout many are
 * thrown away after the hub paid for them: 9,000 failed dials while 10,000 nodes registered.
 *
 * So the listener's raw connections come here, unread. At most `maxInFlight` are handed to the TLS
 * server at a time; the rest wait, newest first (the freshest client has the most of its timeout left
 * for the handshake), and are closed unread once they have waited `maxWaitMs`: a client admitted later
 * would have too little of its timeout left, and a close costs no crypto. The client redials after its
 * back-off. (In order of arrival measured the same within noise at 10,000 nodes, with more handshakes
 * timing out on the clients' side: `docs/benchmarks.md`.)
 *
 * A handshake holds its slot for at most `slotMs`: a connection that never sends its ClientHello (a
 * port scan, a slow or hostile client) cannot keep the gate shut for longer. The TLS server's own
 * handshake timeout still closes it.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Server as TlsServer, TLSSocket } from 'node:tls';

/** The gate's bounds. */
export interface HandshakeGateLimits {
  /** TLS handshakes in progress at most. */
  maxInFlight: number;
  /** A connection that waited this long unread is closed: its client will soon give up on it. */
  maxWaitMs: number;
  /** Connections waiting at most; past it the longest-waiting is closed. */
  maxWaiting: number;
  /** A handshake stops counting against `maxInFlight` after this long. */
  slotMs: number;
}

/** Handshakes at once by default: ~0.5 s of one core's handshake work, enough to keep it busy. */
export const DEFAULT_MAX_HANDSHAKES_IN_FLIGHT = 256;

/** The gate's defaults: clients (the agent, kubectl) time their whole handshake out at 10 s. */
export const DEFAULT_HANDSHAKE_GATE_LIMITS: HandshakeGateLimits = {
  maxInFlight: DEFAULT_MAX_HANDSHAKES_IN_FLIGHT,
  maxWaitMs: 5_000,
  maxWaiting: 20_000,
  slotMs: 5_000,
};

/** What the gate did, for `/metrics` and the benchmarks. */
export interface HandshakeGateCounts {
  /** Connections handed to the TLS server. */
  admitted: number;
  /** Connections closed unread: they waited `maxWaitMs`, or the queue was full. */
  shed: number;
}

interface Waiting {
  socket: Socket;
  at: number;
}

/** Bounds the TLS handshakes `server` works on at once; connections come in through {@link offer}. */
export class HandshakeGate {
  /** Waiting connections, oldest first: admitted from the end, expired from `#head`. */
  #waiting: Waiting[] = [];
  #head = 0;
  /** Handshakes in progress by remote address and port, oldest first, with when they began. */
  readonly #inFlight = new Map<string, Waiting>();
  /** Handshakes past `slotMs` by the same key, no longer counted but still open: `close` ends them too. */
  readonly #aged = new Map<string, Socket>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly counts: HandshakeGateCounts = { admitted: 0, shed: 0 };

  constructor(
    private readonly server: TlsServer,
    private readonly limits: HandshakeGateLimits = DEFAULT_HANDSHAKE_GATE_LIMITS,
    // Monotonic: a wall clock stepped back would hold expiry and slots back as long.
    private readonly now: () => number = () => performance.now(),
  ) {
    server.on('secureConnection', (socket: TLSSocket) => this.#settled(keyOf(socket)));
  }

  /** Connections waiting for a handshake slot. */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** Handshakes in progress that hold a slot. */
  get inFlight(): number {
    this.#ageSlots(this.now());
    return this.#inFlight.size;
  }

  /** Takes a connection the listener accepted (paused: nothing is read from it until it is admitted). */
  offer(socket: Socket): void {
    // A reset while it waits must not become an uncaught error; the TLS server adds its own on admission.
    socket.on('error', () => socket.destroy());
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#waiting.push({ socket, at: this.now() });
    if (this.waiting > this.limits.maxWaiting) this.#shed(this.#waiting[this.#head++]!.socket);
    this.#pump();
  }

  /** Closes every connection waiting or in its handshake, and admits no more. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    while (this.#head < this.#waiting.length) this.#waiting[this.#head++]!.socket.destroy();
    this.#waiting = [];
    this.#head = 0;
    for (const { socket } of this.#inFlight.values()) socket.destroy();
    this.#inFlight.clear();
    for (const socket of this.#aged.values()) socket.destroy();
    this.#aged.clear();
  }

  #pump(): void {
    const now = this.now();
    this.#ageSlots(now);
    this.#expire(now);
    while (this.#inFlight.size < this.limits.maxInFlight && this.waiting > 0) {
      const { socket } = this.#waiting.pop()!;
      if (socket.destroyed) continue;
      this.#admit(socket, now);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    this.#arm(now);
  }

  #admit(socket: Socket, now: number): void {
    const key = keyOf(socket);
    if (key === undefined) {
      socket.destroy(); // already gone: no address left to answer
      return;
    }
    this.#inFlight.set(key, { socket, at: now });
    socket.once('close', () => {
      if (this.#aged.get(key) === socket) this.#aged.delete(key);
      // Another connection may hold the same remote address and port on another local address.
      if (this.#inFlight.get(key)?.socket === socket) this.#settled(key);
    });
    this.counts.admitted++;
    // The TLS server's documented way to take a connection it did not accept itself.
    this.server.emit('connection', socket);
  }

  #settled(key: string | undefined): void {
    if (key === undefined) return;
    this.#aged.delete(key); // a late handshake that finished: its connection is the HTTP server's now
    if (!this.#inFlight.delete(key)) return;
    if (this.waiting > 0) this.#pump();
  }

  /** Handshakes past `slotMs` give their slot back (insertion order is age order). */
  #ageSlots(now: number): void {
    const since = now - this.limits.slotMs;
    for (const [key, { socket, at }] of this.#inFlight) {
      if (at >= since) break;
      this.#inFlight.delete(key);
      this.#aged.set(key, socket);
    }
  }

  /** Closes, unread, the connections that waited `maxWaitMs`. */
  #expire(now: number): void {
    const since = now - this.limits.maxWaitMs;
    while (this.#head < this.#waiting.length && this.#waiting[this.#head]!.at < since) {
      this.#shed(this.#waiting[this.#head++]!.socket);
    }
  }

  #shed(socket: Socket): void {
    this.counts.shed++;
    socket.destroy();
  }

  /** While connections wait, wakes up when the oldest expires or a slot ages out, whichever is first. */
  #arm(now: number): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.waiting === 0 || this.#closed) return;
    let at = this.#waiting[this.#head]!.at + this.limits.maxWaitMs;
    const oldestSlot = this.#inFlight.values().next();
    if (!oldestSlot.done) at = Math.min(at, oldestSlot.value.at + this.limits.slotMs);
    this.#timer = setTimeout(() => this.#pump(), Math.max(1, at - now + 1));
    this.#timer.unref();
  }
}

function keyOf(socket: Socket): string | undefined {
  const { remoteAddress, remotePort } = socket;
  return remoteAddress === undefined || remotePort === undefined ? undefined : `${remoteAddress}|${remotePort}`;
}
