/**
 * The canary's request metrics over a window, from the nodes' usage reports. The hub keeps only each
 * pod's latest report (`UsageSource`), so the controller samples the canary's pods more often than
 * the nodes report and keeps every report it has not seen yet; a check then sums the reports it saw
 * over the metric's interval. A window never spans less than two of the nodes' report periods
 * (`--metrics-interval`), so a check cannot fall between two reports and find nothing.
 *
 * Request duration is Flagger's: the P99 over the window. Each report carries the window's latency
 * histogram (per bucket, not cumulative), so the sum of the reports in a window is the difference of
 * the cumulative histograms at its ends, merged across pods and nodes as Prometheus' `sum by (le)`
 * would. A report without one (a node that predates histograms) leaves the window with the mean only.
 */
import type { Pod } from '../../../api/index.js';
import type { UsageSource } from '../../metrics/index.js';
import { latencyQuantileMs } from './quantile.js';

/** One report of one pod, as the controller took it in. */
interface Report {
  /** When the controller saw it (the hub's clock: nodes' clocks may be off). */
  seenAt: number;
  requests: number;
  errors: number;
  latencyMsSum: number;
  /** Requests per latency bucket; undefined from a node that sends no histogram. */
  buckets: readonly number[] | undefined;
  windowMs: number;
}

/** The sums over a window. */
export interface WindowFigures {
  requests: number;
  errors: number;
  /** Percent of requests answered without a 5xx (undefined with no requests). */
  successRate: number | undefined;
  /** Mean latency in milliseconds (undefined with no requests). */
  meanLatencyMs: number | undefined;
  /**
   * P99 latency in milliseconds from the merged histograms; undefined with no requests, or when a
   * report with requests had no histogram.
   */
  p99LatencyMs: number | undefined;
}

/** Reports of one canary's pods, kept for the longest window a check reads. */
export class MetricsWindow {
  readonly #reports: Report[] = [];
  /** pod uid → timestamp of the last report taken in. */
  readonly #lastSeen = new Map<string, string>();
  #trafficSince: number | undefined;

  /** Whether any report since the last reset counted requests. */
  get sawTraffic(): boolean {
    return this.#trafficSince !== undefined;
  }

  /** When the first report with requests was taken in (since the last reset); undefined before. */
  get trafficSince(): number | undefined {
    return this.#trafficSince;
  }

  /** Takes in the pods' reports not seen yet. */
  sample(usage: UsageSource | undefined, pods: readonly Pod[], nowMs: number): void {
    if (!usage) return;
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      const s = usage.pod(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '');
      if (!s || s.uid !== uid || this.#lastSeen.get(uid) === s.timestamp) continue;
      this.#lastSeen.set(uid, s.timestamp);
      const requests = Math.round(s.requestsPerSecond * s.windowSeconds);
      if (requests > 0) this.#trafficSince ??= nowMs;
      this.#reports.push({
        seenAt: nowMs,
        requests,
        errors: Math.round(s.errorsPerSecond * s.windowSeconds),
        latencyMsSum: (s.meanLatencyMs ?? 0) * requests,
        buckets: s.latencyBuckets,
        windowMs: s.windowSeconds * 1000,
      });
    }
  }

  /** The sums of the reports seen within `windowMs` (widened to two report periods) before `nowMs`. */
  figures(windowMs: number, nowMs: number): WindowFigures {
    const period = this.#reports.reduce((m, r) => Math.max(m, r.windowMs), 0);
    const from = nowMs - Math.max(windowMs, 2 * period);
    let requests = 0;
    let errors = 0;
    let latency = 0;
    let histogram: number[] | undefined = [];
    for (const r of this.#reports) {
      if (r.seenAt <= from) continue;
      requests += r.requests;
      errors += r.errors;
      latency += r.latencyMsSum;
      if (r.requests > 0) histogram = r.buckets && histogram && sumInto(histogram, r.buckets);
    }
    return {
      requests,
      errors,
      successRate: requests > 0 ? (100 * (requests - errors)) / requests : undefined,
      meanLatencyMs: requests > 0 ? latency / requests : undefined,
      p99LatencyMs: requests > 0 && histogram ? latencyQuantileMs(histogram, 0.99) : undefined,
    };
  }

  /** Drops what no window of `keepMs` reads any more. */
  prune(keepMs: number, nowMs: number): void {
    const period = this.#reports.reduce((m, r) => Math.max(m, r.windowMs), 0);
    const from = nowMs - Math.max(keepMs, 2 * period);
    let drop = 0;
    while (drop < this.#reports.length && this.#reports[drop]!.seenAt <= from) drop++;
    this.#reports.splice(0, drop);
  }

  /** Forgets everything (a new revision starts a new analysis). */
  reset(): void {
    this.#reports.length = 0;
    this.#lastSeen.clear();
    this.#trafficSince = undefined;
  }
}

/** Adds `add` into `into` bucket by bucket; returns `into`. */
function sumInto(into: number[], add: readonly number[]): number[] {
  add.forEach((n, i) => (into[i] = (into[i] ?? 0) + n));
  return into;
}
