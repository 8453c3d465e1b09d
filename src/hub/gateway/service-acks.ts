/**
 * The Service stream's flow-control windows: bytes the fan-out sent a node that no pong has
 * acknowledged yet, per node and fleet-wide. The kernel's socket buffers hide a slow reader from
 * `bufferedAmount` for megabytes; a pong comes only once the node has read what was sent before the
 * ping, so these counts do not.
 */
import type { ServicePump } from './service-pump.js';

/** How long an acknowledgement (a pong) is waited for before the bytes count as delivered anyway. */
const ACK_TIMEOUT_MS = 10_000;

/** What the windows need of a node session. */
export interface ProbedSession {
  /** Pings the node: true once it answers (it has read everything sent before), false after `timeoutMs`. */
  probe?(timeoutMs: number): Promise<boolean>;
}

/** Bytes sent to one node not yet acknowledged, and whether a ping covering them is out. */
interface Unacked {
  bytes: number;
  pinging: boolean;
}

/** Unacknowledged bytes per node and in all; an acknowledgement wakes the node in the fan-out. */
export class AckWindows {
  readonly #unacked = new Map<string, Unacked>();
  #inflight = 0;

  constructor(private readonly pump: ServicePump) {}

  /** Bytes the windows still allow to `node`. */
  room(node: string): number {
    const { windowBytes, fleetWindowBytes } = this.pump.limits;
    return Math.min(windowBytes - (this.#unacked.get(node)?.bytes ?? 0), fleetWindowBytes - this.#inflight);
  }

  /** Counts bytes sent to `node` against the windows, and pings it to learn when it has read them. */
  sent(node: string, session: ProbedSession, bytes: number): void {
    if (bytes === 0 || !session.probe) return;
    let u = this.#unacked.get(node);
    if (!u) this.#unacked.set(node, (u = { bytes: 0, pinging: false }));
    u.bytes += bytes;
    this.#inflight += bytes;
    if (!u.pinging) this.#ping(node, session, u);
  }

  /** `node` is gone: what it had not acknowledged no longer counts. */
  forget(node: string): void {
    const unacked = this.#unacked.get(node);
    if (unacked) this.#inflight -= unacked.bytes;
    this.#unacked.delete(node);
  }

  #ping(node: string, session: ProbedSession, u: Unacked): void {
    u.pinging = true;
    const covered = u.bytes; // what was sent before this ping: its pong acknowledges that much
    void session.probe!(ACK_TIMEOUT_MS).then(() => {
      // No pong in time counts as delivered too: a dead node is dropped by the session's liveness check.
      if (this.#unacked.get(node) !== u) return;
      u.bytes -= covered;
      this.#inflight -= covered;
      u.pinging = false;
      if (u.bytes > 0) this.#ping(node, session, u);
      this.pump.wake(node);
      this.pump.nudge();
    });
  }
}
