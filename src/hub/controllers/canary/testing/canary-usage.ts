/**
 * The canary rig's usage intake: an in-memory `UsageSource` the tests fill with the reports nodes
 * would send. The controller is under test, not the intake, so no node or scrape is involved.
 */
import { LATENCY_BUCKETS_MS, rfc3339 } from '../../../../api/index.js';
import type { PodUsageSample, UsageSource } from '../../../metrics/index.js';

/** The nodes' usage reports, as the tests write them. */
export class TestUsage implements UsageSource {
  readonly samples = new Map<string, PodUsageSample>();
  pod(ns: string, name: string): PodUsageSample | undefined {
    return this.samples.get(`${ns}/${name}`);
  }
  pods(): PodUsageSample[] {
    return [...this.samples.values()];
  }
  node(): undefined {
    return undefined;
  }
  nodes(): [] {
    return [];
  }
  onServiceWake(): () => void {
    return () => {};
  }

  /**
   * One usage report per canary pod (`podinfo-<i>` with `uids[i]`), ending at `now`: `rps` requests/s,
   * `errorRate` of them 5xx, each taking `latencyMs` (so all in one bucket of the histogram).
   */
  report(now: number, uids: string[], rps: number, errorRate = 0, latencyMs = 20): void {
    const buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
    const bucket = LATENCY_BUCKETS_MS.findIndex((le) => latencyMs <= le);
    buckets[bucket < 0 ? LATENCY_BUCKETS_MS.length : bucket] = rps * 5;
    uids.forEach((uid, i) =>
      this.samples.set(`default/podinfo-${i}`, {
        namespace: 'default',
        name: `podinfo-${i}`,
        uid,
        node: 'pi-1',
        timestamp: rfc3339(now),
        windowSeconds: 5,
        containers: [],
        requestsPerSecond: rps,
        errorsPerSecond: rps * errorRate,
        meanLatencyMs: latencyMs,
        latencyBuckets: buckets,
      }),
    );
  }
}
