/**
 * The node grace period as it stands now: `--node-grace-period`, multiplied by the gateway's
 * heartbeat pace (a fleet past its heartbeat budget beats more slowly: `gateway/heartbeat-pace.ts`).
 * It also says when it shrank since it was last asked, because deadlines set under the longer grace
 * would be late.
 */
export class GracePeriod {
  #lastMs = 0;

  /** `seconds`: the configured grace; `scale`: how many times it silence must last now (default 1). */
  constructor(
    private readonly seconds: number,
    private readonly scale?: () => number,
  ) {}

  /** The grace now, in ms. */
  ms(): number {
    return this.seconds * 1000 * Math.max(1, this.scale?.() ?? 1);
  }

  /** True when the grace is shorter than at the previous call (the first call never is). */
  shrank(): boolean {
    const now = this.ms();
    const shorter = now < this.#lastMs;
    this.#lastMs = now;
    return shorter;
  }
}
