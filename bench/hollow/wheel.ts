/** The longest the wheel runs due tasks before it lets the process read its sockets. */
const SLICE_MS = 10;

/**
 * One timer for the whole fleet: tasks are dropped into slots of `resolutionMs` and run by a single
 * `setInterval`, so 10,000 nodes' heartbeats, status flushes and pod transitions cost one timer, not
 * tens of thousands. A task runs at the first tick at or after its time (never early).
 *
 * Due tasks run in slices of {@link SLICE_MS}, the rest after the process has read its sockets: when a
 * whole fleet dials at once, 10,000 dials in one turn would hold every handshake the hub had already
 * answered for seconds, a stall no fleet of real devices has (each dials on its own CPU).
 */
export class TimerWheel {
  readonly #slots = new Map<number, Array<() => void>>();
  readonly #timer: NodeJS.Timeout;
  /** Tasks whose time has come, in order, from `#head` on. */
  #due: Array<() => void> = [];
  #head = 0;
  #resuming: NodeJS.Immediate | undefined;
  #nextSlot: number;
  /** The latest a tick has run after its due time (ms): this process's own event-loop lag. */
  maxLagMs = 0;

  constructor(private readonly resolutionMs = 25) {
    this.#nextSlot = Math.floor(Date.now() / resolutionMs);
    this.#timer = setInterval(() => this.#tick(), resolutionMs);
  }

  /** Runs `task` once `delayMs` from now (to the wheel's resolution). */
  after(delayMs: number, task: () => void): void {
    const slot = Math.max(this.#nextSlot, Math.ceil((Date.now() + Math.max(0, delayMs)) / this.resolutionMs));
    let list = this.#slots.get(slot);
    if (!list) this.#slots.set(slot, (list = []));
    list.push(task);
  }

  /** Tasks waiting. */
  get size(): number {
    let n = this.#due.length - this.#head;
    for (const l of this.#slots.values()) n += l.length;
    return n;
  }

  /** Stops the wheel; pending tasks never run. */
  stop(): void {
    clearInterval(this.#timer);
    if (this.#resuming) clearImmediate(this.#resuming);
    this.#resuming = undefined;
    this.#slots.clear();
    this.#due = [];
    this.#head = 0;
  }

  #tick(): void {
    const t = Date.now();
    const now = Math.floor(t / this.resolutionMs);
    this.maxLagMs = Math.max(this.maxLagMs, t - (this.#nextSlot + 1) * this.resolutionMs);
    // A late tick (the process was busy) catches up on every slot it missed, in order.
    while (this.#nextSlot <= now) {
      const list = this.#slots.get(this.#nextSlot);
      this.#slots.delete(this.#nextSlot);
      this.#nextSlot++;
      if (list) for (const task of list) this.#due.push(task);
    }
    if (!this.#resuming) this.#run();
  }

  /** Runs due tasks for one slice; what is left resumes after the process's pending I/O. */
  #run(): void {
    this.#resuming = undefined;
    const end = performance.now() + SLICE_MS;
    while (this.#head < this.#due.length) {
      const task = this.#due[this.#head++]!;
      try {
        task();
      } catch (err) {
        console.error(`hollow: a timer task failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (performance.now() > end && this.#head < this.#due.length) {
        // Drop what has run, so a long backlog does not keep its closures alive.
        if (this.#head >= 1024) {
          this.#due = this.#due.slice(this.#head);
          this.#head = 0;
        }
        this.#resuming = setImmediate(() => this.#run());
        return;
      }
    }
    this.#due = [];
    this.#head = 0;
  }
}

/** A uniformly random delay in `[min, max]` ms (jitter keeps 10,000 nodes from moving in step). */
export function jitter(min: number, max: number): number {
  return min + Math.random() * Math.max(0, max - min);
}
