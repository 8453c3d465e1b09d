/**
 * The canary rig's usage intake: the controllers' in-memory `MemoryUsage` (controllers/testing) with the
 * canary pods' reports as the tests write them. The controller is under test, not the intake, so no node
 * or scrape is involved.
 */
import { LATENCY_BUCKETS_MS } from '../../../../api/index.js';
import { MemoryUsage } from '../../testing/memory-usage.js';

/** The nodes' usage reports, as the tests write them. */
export class TestUsage extends MemoryUsage {
  /**
   * One usage report per canary pod (`podinfo-<i>` with `uids[i]`), ending at `now`: `rps` requests/s,
   * `errorRate` of them 5xx, each taking `latencyMs` (so all in one bucket of the histogram).
   */
  report(now: number, uids: string[], rps: number, errorRate = 0, latencyMs = 20): void {
    const buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    const bucket = LATENCY_BUCKETS_MS.findIndex((le) => latencyMs <= le);
    buckets[bucket < 0 ? LATENCY_BUCKETS_MS.length : bucket] = rps * 5;
    uids.forEach((uid, i) =>
      this.record(now, `podinfo-${i}`, uid, {
        requestsPerSecond: rps,
        errorsPerSecond: rps * errorRate,
        meanLatencyMs: latencyMs,
        latencyBuckets: buckets,
      }),
    );
  }
}
