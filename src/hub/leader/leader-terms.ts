/**
 * Runs the leader's control loops for each leadership term. `lead()` starts a term; `follow()` ends it
 * at once (its fence refuses writes and its informer handlers go quiet from that instant, see
 * fenced-api.ts and term-informers.ts) and stops its loops in the background. Terms never overlap: a
 * new term starts only after the previous one's loops have stopped, so one hub never runs two sets.
 */
import type { Logger } from '../../api/index.js';
import { LeaderTerm } from './fenced-api.js';

/** What a started term hands back: its loops, stopped when the term ends. */
export interface TermLoops {
  stop(): Promise<unknown>;
}

/** Options of `LeadershipTerms`. */
export interface LeadershipTermsOptions {
  /** Builds and starts the loops of one term (writes through a fence on `term`). */
  startTerm: (term: LeaderTerm) => Promise<TermLoops> | TermLoops;
  logger: Logger;
}

/** The sequence of this hub's leadership terms. */
export class LeadershipTerms {
  readonly #o: LeadershipTermsOptions;
  #term: LeaderTerm | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** The loops of the current term, once started. */
  #loops: TermLoops | undefined;
  #started = 0;
  /** When the current term began (ms since the epoch). */
  #since = 0;

  constructor(opts: LeadershipTermsOptions) {
    this.#o = opts;
  }

  /** True while a term is current (its loops may still be starting). */
  get leading(): boolean {
    return this.#term?.current === true;
  }

  /** When the current term began (ms since the epoch), while one is current. */
  get leadingSince(): number | undefined {
    return this.leading ? this.#since : undefined;
  }

  /** How many terms have started their loops (tests). */
  get termsStarted(): number {
    return this.#started;
  }

  /** Begins a term, after the previous one has stopped. No-op while a term is current. */
  lead(): void {
    if (this.#term?.current) return;
    const term = new LeaderTerm();
    this.#term = term;
    this.#since = Date.now();
    this.#chain = this.#chain.then(() => this.#run(term));
  }

  /** Ends the current term now; its loops stop in the background. */
  follow(): void {
    this.#term?.end();
  }

  /**
   * Ends the current term and waits until every term's loops have stopped. With `drain`, the loops
   * stop first, while the term is still current, so that their queued reconciles still write (a hub
   * without election, which nobody takes over from); otherwise the term ends first (a leader handing over).
   */
  async stop(opts: { drain?: boolean } = {}): Promise<void> {
    // Stopping twice is harmless: a work queue's or a sweep's second stop only waits for the first.
    if (opts.drain && this.#term?.current) await this.#loops?.stop().catch(() => undefined);
    this.follow();
    await this.#chain;
  }

  async #run(term: LeaderTerm): Promise<void> {
    if (!term.current) return;
    let loops: TermLoops | undefined;
    try {
      loops = await this.#o.startTerm(term);
      this.#loops = loops;
      this.#started++;
    } catch (err) {
      this.#o.logger.error({ err }, 'starting the controllers failed');
    }
    await term.ended;
    try {
      await loops?.stop();
    } catch (err) {
      this.#o.logger.warn({ err }, 'stopping the controllers failed');
    }
    if (this.#loops === loops) this.#loops = undefined;
  }
}
