/**
 * The node's heartbeat on a welcomed connection: a `heartbeat` frame each interval (the hub's sign of
 * the node's life), and a ping in each interval in which the hub was not heard from — a pong or any
 * frame since the last beat already shows the hub is there, so on an idle connection every other beat
 * goes without one (issue 14: at fleet scale the nodes' pings and the hub's pongs were most of the
 * hub's ping traffic; the hub itself pings only nodes it has not heard from). The hub can stall for a
 * moment (a burst of writes), so it is declared gone only after `missedPongs` intervals without a
 * pong or any frame; a timer that fires late means this process stalled, and the silence it saw is
 * its own, not the hub's.
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
  /** The hub was heard from since the last beat (this beat needs no ping). */
  private heardSinceBeat = false;
  /** Pings sent so far (for tests and figures). */
  pings = 0;
  /** Connections ended because the hub stayed silent (for figures: the fleet bench counts them). */
  hubsLost = 0;

  /** `sent`: called with each heartbeat frame sent (the fleet bench counts them). */
  constructor(
    private readonly missedPongs: number,
    private readonly logger: Logger,
    private readonly sent?: (frame: Uint8Array) => void,
  ) {}

  /** Starts beating on `ws` every `intervalMs` (stops any earlier beat). */
  start(ws: WebSocket, intervalMs: number): void {
    this.stop();
    this.silentIntervals = 0;
    this.heardSinceBeat = false;
    this.lastBeat = Date.now();
    this.timer = setInterval(() => this.beat(ws, intervalMs), intervalMs);
  }

  /**
   * Beats every `intervalMs` from now on (the hub re-paced its fleet: protocol 11's `heartbeatPace`).
   * The first beat comes at a random point of the new interval, so a fleet told at once is spread
   * over it instead of beating in step; `random` is injectable for tests.
   */
  repace(ws: WebSocket, intervalMs: number, random: () => number = Math.random): void {
    if (this.timer === undefined) return; // not beating (not welcomed): the welcome starts it
    clearInterval(this.timer);
    this.timer = setTimeout(
      () => {
        this.beat(ws, intervalMs);
        this.timer = setInterval(() => this.beat(ws, intervalMs), intervalMs);
      },
      Math.floor(random() * intervalMs),
    );
  }

  /** The hub was heard from (a pong or any frame). */
  heard(): void {
    this.silentIntervals = 0;
    this.heardSinceBeat = true;
  }

  stop(): void {
    // clearInterval clears a timeout too (one timer id space), so the repaced first beat is covered.
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private beat(ws: WebSocket, intervalMs: number): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    const now = Date.now();
    const stalled = now - this.lastBeat > 2 * intervalMs;
    this.lastBeat = now;
    const heard = this.heardSinceBeat;
    this.heardSinceBeat = false;
    if (heard) this.silentIntervals = 0;
    else if (!stalled) this.silentIntervals += 1;
    if (this.silentIntervals > this.missedPongs) {
      this.logger.warn(
        { intervals: this.silentIntervals - 1 },
        'hub answered no ping and sent nothing for several heartbeat intervals; reconnecting',
      );
      this.hubsLost++;
      ws.terminate();
      return;
    }
    if (!heard) {
      ws.ping();
      this.pings++;
    }
    const frame = encodeFrame({ type: 'heartbeat', time: new Date().toISOString() } satisfies NodeToHub);
    ws.send(frame);
    this.sent?.(frame);
  }
}
