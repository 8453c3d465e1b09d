/**
 * Spans of time this hub could not hear its nodes because its own event loop stood still: a long
 * synchronous stretch, a heap snapshot, the process paused (SIGSTOP, a debugger) or throttled to
 * nothing. Heartbeats sent meanwhile wait in the kernel's socket buffers, and nodes whose pings went
 * unanswered drop their sessions and must dial again; after the stall Node may run due timers before
 * it reads its sockets, so the lifecycle's first tick found nodes silent for the whole stall and marked
 * them NotReady, their pods leaving their Services, a moment before their heartbeats were read (issue
 * 14's stall scenario: the first node it looked at, each time, for 4–16 s).
 *
 * As after a restart, the hub being deaf is not the nodes' fault: a node's silence leaves out the
 * time the hub was deaf (`after`) — for one `window` after the stall ended (the lifecycle passes its
 * grace period): by then a live node has been heard again or has dialed back, so what is still silent
 * was silent, and however often the hub stalls, a dead node is found at most one window later.
 * Stalls are told apart from a clock that moved by sampling the loop on the real monotonic clock, not
 * the controller's: a stall is a fact of this process (a suspended machine's monotonic clock stops
 * too, so a suspend is not seen). A short gap (a GC pause, a busy turn) is not counted.
 */
import { performance } from 'node:perf_hooks';
import type { Clock } from '../../api/index.js';

/** Options of {@link DeafSpans}. */
export interface DeafSpansOptions {
  /** The controller's clock: spans are placed on it. */
  clock: Clock;
  /** Real elapsed milliseconds (default `performance.now`). */
  monotonic?: () => number;
  /** How often the loop is sampled (default 250 ms). */
  sampleMs?: number;
  /** A gap between two samples longer than this is a stall (default 2,000 ms). */
  minStallMs?: number;
  /** Stalls remembered, the newest (default 64). */
  maxSpans?: number;
}

interface Span {
  start: number;
  end: number;
}

/** The stalls of this process's event loop, on the controller's clock; see the module comment. */
export class DeafSpans {
  readonly #clock: Clock;
  readonly #monotonic: () => number;
  readonly #sampleMs: number;
  readonly #minStallMs: number;
  readonly #maxSpans: number;
  readonly #spans: Span[] = [];
  #last: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: DeafSpansOptions) {
    this.#clock = opts.clock;
    this.#monotonic = opts.monotonic ?? (() => performance.now());
    this.#sampleMs = opts.sampleMs ?? 250;
    this.#minStallMs = opts.minStallMs ?? 2_000;
    this.#maxSpans = opts.maxSpans ?? 64;
    this.#last = this.#monotonic();
  }

  /** Starts sampling the loop. */
  start(): void {
    if (this.#timer) return;
    this.#last = this.#monotonic();
    this.#timer = setInterval(() => this.observe(), this.#sampleMs);
    this.#timer.unref();
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Looks at the real time since the last look: longer than `minStallMs` is a stall, recorded as a
   * span ending now. Called by the sampler and before every answer, so that a tick that runs first
   * after a stall (timers may run before sockets are read) already knows of it.
   */
  observe(): void {
    const m = this.#monotonic();
    const gap = m - this.#last;
    this.#last = m;
    if (gap <= this.#minStallMs) return;
    const end = this.#clock.now();
    this.#spans.push({ start: end - gap, end });
    if (this.#spans.length > this.#maxSpans) this.#spans.shift();
  }

  /**
   * How long (ms) the hub was deaf between `t` (on the controller's clock) and now, counting only
   * stalls that ended within the last `windowMs`.
   */
  after(t: number, windowMs: number): number {
    this.observe();
    const since = this.#clock.now() - windowMs;
    let deaf = 0;
    for (const s of this.#spans) if (s.end > t && s.end > since) deaf += s.end - Math.max(s.start, t);
    return deaf;
  }

  /** When the latest stall ended, on the controller's clock (-Infinity: none seen). */
  lastEnd(): number {
    this.observe();
    return this.#spans.at(-1)?.end ?? -Infinity;
  }
}
