/**
 * Tells the connected nodes the fleet's heartbeat pace (`heartbeat-pace.ts`): the interval in each
 * node's `welcome`, and a `heartbeatPace` frame to every welcomed node when the fleet's size moves the
 * pace. A node older than protocol 11 cannot be re-paced, so it is welcomed at the base interval and
 * kept there (the grace period never shrinks below what the base needs). The frames go out a slice at
 * a time, so re-pacing 10,000 nodes does not hold the event loop.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { HEARTBEAT_PACE_PROTOCOL, type HubToNode, type Logger } from '../../api/index.js';
import type { HeartbeatPace } from './heartbeat-pace.js';

/** What of a gateway session the push needs. */
export interface PaceTarget {
  protocol: number;
  readonly open: boolean;
  /** Set once the node was sent its welcome. */
  welcomedAt: number | undefined;
  /** The interval the node was last told, in ms (the session's own silence check follows it). */
  heartbeatMs: number;
  send(msg: HubToNode): void;
}

/** Sessions told per turn of the event loop. */
const SLICE = 500;

/** Keeps every connected node beating at the fleet's pace. */
export class HeartbeatPacePush {
  /** Bumped on each re-pace: a slow push stops once a newer one started. */
  #generation = 0;

  constructor(
    private readonly pace: HeartbeatPace,
    private readonly sessions: () => Iterable<PaceTarget>,
    private readonly logger: Logger,
  ) {}

  /** The interval a node of `protocol` is welcomed with, in seconds (the session remembers it). */
  welcome(session: PaceTarget): number {
    const seconds = session.protocol >= HEARTBEAT_PACE_PROTOCOL ? this.pace.seconds : this.pace.baseSeconds;
    session.heartbeatMs = seconds * 1000;
    return seconds;
  }

  /** The hub now holds `nodes` sessions: re-paces the welcomed nodes when the pace moves. */
  resized(nodes: number): void {
    const seconds = this.pace.resize(nodes);
    if (seconds === undefined) return;
    this.logger.info({ nodes, heartbeatIntervalSeconds: seconds }, 'heartbeat interval re-paced for the fleet size');
    void this.#tell(seconds, ++this.#generation);
  }

  async #tell(seconds: number, generation: number): Promise<void> {
    const frame = { type: 'heartbeatPace', heartbeatIntervalSeconds: seconds } as const;
    let n = 0;
    for (const s of [...this.sessions()]) {
      if (generation !== this.#generation) return;
      if (!s.open || s.welcomedAt === undefined || s.protocol < HEARTBEAT_PACE_PROTOCOL) continue;
      if (s.heartbeatMs === seconds * 1000) continue;
      s.heartbeatMs = seconds * 1000;
      s.send(frame);
      if (++n % SLICE === 0) await yieldToLoop();
    }
  }
}
