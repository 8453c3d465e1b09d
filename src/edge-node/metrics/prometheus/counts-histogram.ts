/**
 * A prom-client Histogram whose series come from plain counts at scrape time: the mesh's request
 * counters (request-histogram.ts) and the relay's (relay-registry.ts) keep their buckets as plain
 * numbers, at no cost per request beyond a counter increment; prom-client writes the exposition,
 * this only says what the values are. Buckets are LATENCY_BUCKETS_MS, in seconds.
 */
import { Histogram, type MetricObjectWithValues, type MetricValueWithName } from 'prom-client';
import { LATENCY_BUCKETS_MS } from '../../mesh/index.js';

/** Bucket bounds in seconds, as Prometheus names latencies. */
export const LATENCY_BUCKETS_SECONDS = LATENCY_BUCKETS_MS.map((ms) => ms / 1000);

/** One series' counts: per bucket of LATENCY_BUCKETS_MS (not cumulative; one more, open-ended, last), their sum in ms, and how many. */
export interface HistogramCounts {
  buckets: readonly number[];
  sumMs: number;
  count: number;
}

/** One labelled series of a {@link CountsHistogram}. */
export interface CountsSeries<L extends string> {
  labels: Partial<Record<L, string>>;
  counts: HistogramCounts;
}

/** A latency histogram over `source()`'s series, read at each scrape. */
export class CountsHistogram<L extends string> extends Histogram<L> {
  constructor(
    private readonly metricName: string,
    help: string,
    labelNames: L[],
    private readonly source: () => Iterable<CountsSeries<L>>,
  ) {
    super({ name: metricName, help, labelNames, buckets: LATENCY_BUCKETS_SECONDS, registers: [] });
  }

  /**
   * What prom-client's Registry formats (it calls this when a metric has it, as Histogram does): the
   * series from the counts, in the shape Histogram's own uses (bucket bounds as the `le` label).
   */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    const values: Array<MetricValueWithName<L> & { sharedLabels: object }> = [];
    const series = (metricName: string, labels: object, value: number): void =>
      void values.push({ metricName, labels, value, sharedLabels: {} });
    for (const { labels, counts } of this.source()) {
      let cumulative = 0;
      LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
        cumulative += counts.buckets[i]!;
        series(`${this.metricName}_bucket`, { le, ...labels }, cumulative);
      });
      cumulative += counts.buckets[LATENCY_BUCKETS_SECONDS.length]!;
      series(`${this.metricName}_bucket`, { le: '+Inf', ...labels }, cumulative);
      series(`${this.metricName}_sum`, labels, counts.sumMs / 1000);
      series(`${this.metricName}_count`, labels, counts.count);
    }
    // name, help, type and aggregator are the fields prom-client's Metric constructor sets.
    const own = this as unknown as Pick<
      MetricObjectWithValues<MetricValueWithName<L>>,
      'name' | 'help' | 'type' | 'aggregator'
    >;
    return Promise.resolve({
      name: own.name,
      help: own.help,
      type: own.type,
      aggregator: own.aggregator,
      collect: () => undefined,
      values,
    });
  }

  /** The same series (for `getMetricsAsJSON`). */
  override get(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    return this.getForPromString();
  }
}
