/**
 * Scale from zero, on the node: a request for a Service port with no ready endpoint is held here (a
 * bounded queue per Service, each request with a timeout) instead of refused at once, and the hub is
 * told so it can bring a workload an autoscaler took to zero back to one replica. When the Service's
 * endpoints arrive (a Service delta through the session), every held request goes on with the new
 * route. Past the timeout, or beyond the queue, the caller answers 503 naming the Service. A wait ends
 * when an endpoint appears or its last request gave up; the next request after that starts a new wait.
 *
 * The wake-up is level-triggered, as the rest of the node's reports: sent when a wait starts and again
 * every `wakeRepeatMs` while requests are still held. A single wake-up can be lost (the hub coalesces
 * them, a session drops, the hub's decision raced with its own scale-down), and a held request
 * must not depend on it.
 */
import type { Logger } from '../../../api/index.js';
import type { ServicePortRoute } from './service-table.js';

/** Defaults of `--scale-from-zero-queue` and `--scale-from-zero-timeout`. */
export const DEFAULT_HOLD = { maxPerService: 100, timeoutMs: 10_000 } as const;
/** How often a wake-up is repeated while requests of a Service are held. */
export const DEFAULT_WAKE_REPEAT_MS = 1000;

/** How a held request ended: with a route that has ready endpoints, or why not. */
export type HoldOutcome =
  | { kind: 'ready'; route: ServicePortRoute }
  | { kind: 'timeout'; waitedMs: number }
  | { kind: 'full'; maxPerService: number };

/** What the hold needs. */
export interface ServiceHoldDeps {
  maxPerService?: number;
  timeoutMs?: number;
  /** Default {@link DEFAULT_WAKE_REPEAT_MS}. */
  wakeRepeatMs?: number;
  /** The current route of a Service port key (`namespace/name:port`), after the table changed. */
  route(key: string): ServicePortRoute | undefined;
  /** Debug trace points: a wait starts, a held request goes on (bench/hpa.ts times cold starts with them). */
  logger?: Logger;
}

/** The held requests of one Service, and the timer repeating its wake-up. */
interface Held {
  waiters: Set<Waiter>;
  repeat: NodeJS.Timeout;
}

interface Waiter {
  key: string;
  /** Pod uids the caller found gone or unreachable: a route naming only these is not ready yet. */
  exclude: ReadonlySet<string> | undefined;
  /** When it was held (`performance.now()`). */
  since: number;
  timer: NodeJS.Timeout;
  resolve(outcome: HoldOutcome): void;
}

/** The node's held requests (see the file comment). */
export class ServiceHold {
  readonly #deps: ServiceHoldDeps;
  /** Held requests per Service (`namespace/name`), across its ports. */
  readonly #held = new Map<string, Held>();
  /** Tells the hub a request waits for Service `namespace/name` (the agent sends a `serviceWake`). */
  onWake: ((namespace: string, name: string) => void) | undefined;

  constructor(deps: ServiceHoldDeps) {
    this.#deps = deps;
  }

  get maxPerService(): number {
    return this.#deps.maxPerService ?? DEFAULT_HOLD.maxPerService;
  }

  /** How long a request is held at most. */
  get timeoutMs(): number {
    return this.#deps.timeoutMs ?? DEFAULT_HOLD.timeoutMs;
  }

  /** Requests held now (all Services). */
  get size(): number {
    let n = 0;
    for (const h of this.#held.values()) n += h.waiters.size;
    return n;
  }

  /**
   * Holds a request for `route` (which has no ready endpoint) until one is ready, or it gives up.
   * `exclude`: pod uids of endpoints the caller could not reach (a stale route at zero: the pods are
   * gone, their removal on its way); only another endpoint ends the wait.
   */
  wait(route: ServicePortRoute, exclude?: ReadonlySet<string>): Promise<HoldOutcome> {
    const { namespace, name } = route.service;
    if (exclude) {
      const now = this.#deps.route(route.key);
      if (now && usable(now, exclude)) return Promise.resolve({ kind: 'ready', route: now });
    }
    const svc = `${namespace}/${name}`;
    const max = this.maxPerService;
    let held = this.#held.get(svc);
    if ((held?.waiters.size ?? 0) >= max) return Promise.resolve({ kind: 'full', maxPerService: max });
    if (!held) {
      const repeatMs = this.#deps.wakeRepeatMs ?? DEFAULT_WAKE_REPEAT_MS;
      held = { waiters: new Set(), repeat: setInterval(() => this.onWake?.(namespace, name), repeatMs) };
      held.repeat.unref();
      this.#held.set(svc, held);
      this.#deps.logger?.debug({ service: svc }, 'request held: waking the hub');
      this.onWake?.(namespace, name); // a new wait: tell the hub now, and again while it lasts
    }
    const timeoutMs = this.#deps.timeoutMs ?? DEFAULT_HOLD.timeoutMs;
    const set = held;
    return new Promise<HoldOutcome>((resolve) => {
      const waiter: Waiter = {
        key: route.key,
        exclude,
        since: performance.now(),
        resolve,
        timer: setTimeout(() => {
          this.#drop(svc, set, waiter);
          resolve({ kind: 'timeout', waitedMs: timeoutMs });
        }, timeoutMs),
      };
      set.waiters.add(waiter);
    });
  }

  /** The Service table changed: held requests whose Service port has a ready endpoint now go on. */
  changed(): void {
    for (const [svc, set] of this.#held) {
      for (const w of set.waiters) {
        const route = this.#deps.route(w.key);
        if (!route || !usable(route, w.exclude)) continue;
        clearTimeout(w.timer);
        this.#drop(svc, set, w);
        this.#deps.logger?.debug({ service: svc, heldMs: Math.round(performance.now() - w.since) }, 'held request released'); // prettier-ignore
        w.resolve({ kind: 'ready', route });
      }
    }
  }

  /** Ends every wait (the node stops): each held request times out now. */
  close(): void {
    for (const [svc, set] of this.#held)
      for (const w of set.waiters) {
        clearTimeout(w.timer);
        this.#drop(svc, set, w);
        w.resolve({ kind: 'timeout', waitedMs: 0 });
      }
  }

  #drop(svc: string, held: Held, w: Waiter): void {
    held.waiters.delete(w);
    if (held.waiters.size > 0) return;
    clearInterval(held.repeat);
    if (this.#held.get(svc) === held) this.#held.delete(svc);
  }
}

/** Whether `route` has a ready endpoint not in `exclude`. */
function usable(route: ServicePortRoute, exclude: ReadonlySet<string> | undefined): boolean {
  return exclude ? route.ready.some((e) => !exclude.has(e.pod.uid)) : route.ready.length > 0;
}
