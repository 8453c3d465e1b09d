/**
 * The Service stream's fan-out: nodes with something to be sent wait here, and are served a few at a
 * time from `setImmediate` turns that end after `sliceMs`, so a change for thousands of nodes never
 * holds the event loop for long (pongs, heartbeats and API requests run between turns).
 *
 * Per-session backpressure: a node whose socket still holds more than `highWaterBytes` unsent is
 * skipped (retried after `retryMs`), and each turn writes at most `turnBytes` to one node before the
 * next one's turn. What a node is owed is kept by the stream as *state* (which Services it is behind
 * on), never as queued frames: a slow node is sent the newest state when it catches up, and the
 * hub's memory for it does not grow with the number of changes it missed.
 */

/** What serving a node did: everything sent, more to send (its turn is over), or its socket is full. */
export type ServeResult = 'done' | 'more' | 'blocked';

/** Bounds of the fan-out. */
export interface ServicePumpLimits {
  /** Unsent bytes on a node's socket above which it is not written to (default 1 MiB). */
  highWaterBytes: number;
  /** Bytes written to one node per turn before the next node's (default 256 KiB). */
  turnBytes: number;
  /** Longest stretch of one turn (default 10 ms). */
  sliceMs: number;
  /** How soon nodes whose sockets were full are looked at again when nothing else is waiting (default 20 ms). */
  retryMs: number;
  /**
   * Bytes sent to one node and not yet acknowledged (a WebSocket ping sent after them answered),
   * and to all nodes together (defaults 256 KiB and 8 MiB). The kernel's socket buffers hide a
   * slow reader from `bufferedAmount` for megabytes; these windows do not: the node's pong comes
   * only once it has read what was sent before the ping. They also bound what any pong or heartbeat
   * the hub sends queues behind, on one socket and fleet-wide.
   */
  windowBytes: number;
  fleetWindowBytes: number;
}

export const DEFAULT_PUMP_LIMITS: ServicePumpLimits = {
  highWaterBytes: 1024 * 1024,
  turnBytes: 256 * 1024,
  sliceMs: 10,
  retryMs: 20,
  windowBytes: 256 * 1024,
  fleetWindowBytes: 8 * 1024 * 1024,
};

/** Nodes owed Service frames, served in bounded turns. */
export class ServicePump {
  readonly #waiting = new Set<string>();
  #immediate: NodeJS.Immediate | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The longest turn so far (ms), for tests and logs. */
  longestTurnMs = 0;

  constructor(
    /** Writes what `node` is owed, up to `budget` bytes. */
    private readonly serve: (node: string, budget: number) => ServeResult,
    readonly limits: ServicePumpLimits = DEFAULT_PUMP_LIMITS,
    private readonly onError: (node: string, err: unknown) => void = () => undefined,
  ) {}

  /** `node` is owed something: it is served in a coming turn. */
  wake(node: string): void {
    if (this.#stopped) return;
    this.#waiting.add(node);
    this.#soon();
  }

  /** Room was freed (an acknowledgement): nodes held back are looked at in the next turn, not after `retryMs`. */
  nudge(): void {
    if (this.#waiting.size > 0) this.#soon();
  }

  /** `node` is gone: nothing more is sent it. */
  forget(node: string): void {
    this.#waiting.delete(node);
  }

  /** Nodes waiting to be served. */
  get waiting(): number {
    return this.#waiting.size;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#immediate) clearImmediate(this.#immediate);
    if (this.#timer) clearTimeout(this.#timer);
    this.#immediate = undefined;
    this.#timer = undefined;
    this.#waiting.clear();
  }

  #soon(): void {
    if (this.#immediate || this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#immediate = setImmediate(() => this.#turn());
  }

  #later(): void {
    if (this.#immediate || this.#timer || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#turn();
    }, this.limits.retryMs);
  }

  #turn(): void {
    this.#immediate = undefined;
    const start = performance.now();
    const end = start + this.limits.sliceMs;
    let progressed = false;
    try {
      for (const node of [...this.#waiting]) {
        if (performance.now() >= end) {
          // Yield: the rest wait for the next turn, after the loop's I/O.
          progressed = true;
          break;
        }
        let result: ServeResult;
        try {
          result = this.serve(node, this.limits.turnBytes);
        } catch (err) {
          // A node that cannot be served is left alone (its next change or reconnect tries again).
          this.onError(node, err);
          result = 'done';
        }
        if (result === 'blocked') continue;
        this.#waiting.delete(node);
        if (result === 'more') {
          this.#waiting.add(node); // to the back: every node gets its turn before this one's next
          progressed = true;
        }
      }
    } finally {
      this.longestTurnMs = Math.max(this.longestTurnMs, performance.now() - start);
    }
    if (this.#waiting.size === 0) return;
    if (progressed) this.#soon();
    else this.#later();
  }
}
