/**
 * From when the grace period of a node not heard from since this hub started counts. Not from the
 * process start (the caches fill first), and not only from when the hub listens: a restarted hub with
 * thousands of nodes spends tens of seconds taking them back in, CPU-bound on TLS handshakes and
 * admission (issue 14's storm at 5,000 nodes: the returning fleet took ~35 s of one core). Nodes whose
 * dials wait on the hub meanwhile are not silent, the hub is deaf. Their handshakes time out on their
 * side after 10 s and they redial after their back-off, so without this the last ~15% of a 5,000-node
 * fleet was marked NotReady for up to ~27 s although every one of them kept dialing.
 *
 * So while the hub is behind on the connections it accepted (`HandshakeBacklog`: handshakes pending
 * while its event loop is saturated), the starting point moves forward with it. This catch-up has a
 * limit after the listen (default 120 s): a hub kept busy for any other reason still marks a dead
 * node NotReady by `listen + limit + grace` at the latest. Nodes heard from since the start are not
 * affected: their silence counts from their own last heartbeat, as always.
 */

/** The start of the grace of nodes not heard from since this hub started. */
export class StartupCatchUp {
  #since: number;
  #listenAt: number | undefined;
  #behind: (() => boolean) | undefined;

  /** `now`: the controller's construction; `limitMs`: how long after the listen the start may still move. */
  constructor(
    now: number,
    private readonly limitMs: number,
  ) {
    this.#since = now;
  }

  /** The start: the latest of the construction, the listen and the last time the hub was seen behind. */
  get since(): number {
    return this.#since;
  }

  /** The hub listens at `now`; `behind` says whether it is behind on its accepted connections (optional). */
  accepting(now: number, behind?: () => boolean): void {
    this.#since = Math.max(this.#since, now);
    this.#listenAt ??= now;
    if (behind) this.#behind = behind;
  }

  /** Looks whether the hub is behind at `now` (once a check): if it is, and within the limit, the start moves to now. */
  observe(now: number): void {
    if (this.#listenAt === undefined || this.#behind === undefined) return;
    const end = this.#listenAt + this.limitMs;
    if (now > end) return;
    if (this.#behind()) this.#since = Math.max(this.#since, now);
  }
}
