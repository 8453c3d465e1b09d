/**
 * Leader election over a lease-backed lock: one hub at a time runs the scheduler and controllers.
 * The timings are kube-controller-manager's (`--leader-elect-lease-duration`, `-renew-deadline`,
 * `-retry-period`): the lock's lease lasts `leaseDurationSeconds`; the leader renews it every retry
 * period and gives up leading when it has not renewed for `renewDeadlineSeconds` (before the lease can
 * expire and another hub take it, since renewDeadline < leaseDuration); candidates try to take the lock
 * every retry period (jittered, as client-go does, so that candidates do not move in step). A dead
 * leader is thus replaced within about one lease duration plus one retry period.
 */
import type { Logger } from '../../api/index.js';

/** What the elector needs of a lock (`EtcdStore.leaderLock`). */
export interface LeaderLock {
  tryAcquire(): Promise<boolean>;
  renew(): Promise<boolean>;
  release(): Promise<void>;
  /** Identity of the current holder, if any. */
  holder(): Promise<string | undefined>;
}

/** The timings of an election, in seconds (kube-controller-manager's defaults: 15, 10, 2). */
export interface LeaderElectionTimings {
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

/** kube-controller-manager's defaults. */
export const DEFAULT_LEADER_ELECTION: LeaderElectionTimings = {
  leaseDurationSeconds: 15,
  renewDeadlineSeconds: 10,
  retryPeriodSeconds: 2,
};

/** client-go's jitter of the candidates' retry period. */
const JITTER = 1.2;

/** Why a set of timings cannot work (as client-go's checks), or undefined when it can. */
export function invalidTimings(t: LeaderElectionTimings): string | undefined {
  if (!(t.retryPeriodSeconds > 0)) return 'the retry period must be longer than zero';
  if (!(t.leaseDurationSeconds > t.renewDeadlineSeconds))
    return 'the lease duration must be longer than the renew deadline';
  if (!(t.renewDeadlineSeconds > JITTER * t.retryPeriodSeconds))
    return `the renew deadline must be longer than ${JITTER} × the retry period`;
  return undefined;
}

/** Options of `LeaderElector`. */
export interface LeaderElectorOptions extends LeaderElectionTimings {
  lock: LeaderLock;
  /** This hub's identity (the value the lock holds while it leads). */
  identity: string;
  logger: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  /** Called when the holder this hub sees changes (undefined: nobody holds the lock). */
  onNewLeader?: (identity: string | undefined) => void;
}

/** Runs for leadership until stopped. */
export class LeaderElector {
  readonly #o: LeaderElectorOptions;
  #leading = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** When the last successful renewal (or acquisition) happened. */
  #renewedAt = 0;
  #holder: string | undefined;
  #holderKnown = false;

  constructor(opts: LeaderElectorOptions) {
    const invalid = invalidTimings(opts);
    if (invalid !== undefined) throw new Error(`leader election: ${invalid}`);
    this.#o = opts;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** The holder this hub last saw (itself while it leads). */
  get holder(): string | undefined {
    return this.#holder;
  }

  start(): void {
    void this.#tick();
  }

  /** Stops running; a leader releases the lock so that another hub takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#leading) await this.#lose('stopping');
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const retryMs = this.#o.retryPeriodSeconds * 1000;
    try {
      if (this.#leading) {
        if (await this.#o.lock.renew()) this.#renewedAt = Date.now();
        else void this.#lose('lease expired');
      } else if (await this.#o.lock.tryAcquire()) {
        this.#renewedAt = Date.now();
        if (this.#stopped) await this.#o.lock.release().catch(() => undefined);
        else {
          this.#leading = true;
          this.#o.logger.info({ identity: this.#o.identity }, 'became leader');
          this.#see(this.#o.identity);
          this.#o.onStartedLeading();
        }
      } else {
        this.#see(await this.#o.lock.holder());
      }
    } catch (err) {
      this.#o.logger.warn({ err }, 'leader election: etcd call failed');
    }
    // Unable to renew within the renew deadline: the lease may expire soon and another hub lead; stop
    // acting first (client-go's renewDeadline).
    if (this.#leading && Date.now() - this.#renewedAt > this.#o.renewDeadlineSeconds * 1000)
      void this.#lose('could not renew within the renew deadline');
    if (this.#stopped) return;
    const delay = this.#leading ? retryMs : retryMs * (1 + Math.random() * (JITTER - 1));
    this.#timer = setTimeout(() => void this.#tick(), delay);
  }

  #see(holder: string | undefined): void {
    if (this.#holderKnown && holder === this.#holder) return;
    this.#holderKnown = true;
    this.#holder = holder;
    if (holder !== undefined && holder !== this.#o.identity)
      this.#o.logger.info({ leader: holder }, 'new leader elected');
    this.#o.onNewLeader?.(holder);
  }

  /** Stops leading; resolves when the lease is given up (or could not be: it then expires by itself). */
  #lose(why: string): Promise<void> {
    if (!this.#leading) return Promise.resolve();
    this.#leading = false;
    this.#o.logger.warn({ why }, 'lost leadership');
    this.#o.onStoppedLeading();
    this.#holderKnown = false;
    // The lease may still be alive (a slow etcd, a clean stop): give it up so the next leader need not wait.
    return this.#o.lock.release().catch(() => undefined);
  }
}
