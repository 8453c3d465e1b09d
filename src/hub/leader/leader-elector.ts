/**
 * Leader election over a lease-backed lock: one hub at a time runs the scheduler and controllers.
 * The leader renews its lease every third of the TTL; a renewal that fails (lease expired, or etcd
 * unreachable past the TTL) ends its leadership before another hub can take over. The others try to
 * take the lock at the same pace, so a dead leader is replaced within about 1⅓ TTL.
 */
import type { Logger } from '../../api/index.js';

/** What the elector needs of a lock (`EtcdStore.leaderLock`). */
export interface LeaderLock {
  tryAcquire(): Promise<boolean>;
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

/** Options of `LeaderElector`. */
export interface LeaderElectorOptions {
  lock: LeaderLock;
  /** The lease TTL in seconds (`--leader-lease-ttl`). */
  ttlSeconds: number;
  logger: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/** Runs for leadership until stopped. */
export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  #leading = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** When the last successful renewal (or acquisition) happened. */
  #renewedAt = 0;

  constructor(opts: LeaderElectorOptions) {
    this.#o = opts;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    void this.#tick();
  }

  /** Stops running; a leader releases the lock so that another hub takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#leading) {
      this.#lose('stopping');
      await this.#o.lock.release().catch(() => undefined);
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const ttlMs = this.#o.ttlSeconds * 1000;
    try {
      if (this.#leading) {
        if (await this.#o.lock.renew()) this.#renewedAt = Date.now();
        else this.#lose('lease expired');
      } else if (await this.#o.lock.tryAcquire()) {
        this.#renewedAt = Date.now();
        if (!this.#stopped) {
          this.#leading = true;
          this.#o.logger.info('became leader');
          this.#o.onStartedLeading();
        }
      }
    } catch (err) {
      this.#o.logger.warn({ err }, 'leader election: etcd call failed');
      // Unable to renew for most of a TTL: another hub may be leader soon; stop acting first.
      if (this.#leading && Date.now() - this.#renewedAt > (ttlMs * 2) / 3) this.#lose('could not renew');
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#tick(), ttlMs / 3);
  }

  #lose(why: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.logger.warn({ why }, 'lost leadership');
    this.#o.onStoppedLeading();
  }
}
