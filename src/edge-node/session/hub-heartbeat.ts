/**
 * The node's heartbeat on a welcomed connection: a ping and a `heartbeat` frame each interval. The hub
 * can stall for a moment (a burst of writes), so it is declared gone only after `missedPongs`
 * intervals without a pong or any frame; a timer that fires late means this process stalled, and the
 * silence it saw is its own, not the hub's.
 */
import { WebSocket } from 'ws';
import { encodeFrame } from '../../api/index.js';
import type { Logger, NodeToHub } from '../../api/index.js';

/** Heartbeats one connection and redials it when the hub stays silent. */
export class HubHeartbeat {
  private timer: NodeJS.Timeout | undefined;
  /** Consecutive heartbeat intervals without a pong or any frame from the hub. */
  private silentIntervals = 0;
  private lastBeat = 0;

  constructor(
    private readonly missedPongs: number,
    private readonly logger: Logger,
  ) {}

  /** Starts beating on `ws` every `intervalMs` (stops any earlier beat). */
  start(ws: WebSocket, intervalMs: number): void {
    this.stop();
    this.silentIntervals = 0;
    this.lastBeat = Date.now();
    this.timer = setInterval(() => this.beat(ws, intervalMs), intervalMs);
  }

  /** The hub was heard from (a pong or any frame). */
  heard(): void {
    this.silentIntervals = 0;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private beat(ws: WebSocket, intervalMs: number): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    const stalled = now - this.lastBeat > 2 * intervalMs;
    this.lastBeat = now;
    if (!stalled) this.silentIntervals += 1;
    if (this.silentIntervals > this.missedPongs) {
      this.logger.warn(
        { intervals: this.silentIntervals - 1 },
        'hub answered no ping and sent nothing for several heartbeat intervals; reconnecting',
      );
      ws.terminate();
      return;
    }
    ws.ping();
    ws.send(encodeFrame({ type: 'heartbeat', time: new Date().toISOString() } satisfies NodeToHub));
  }
}
