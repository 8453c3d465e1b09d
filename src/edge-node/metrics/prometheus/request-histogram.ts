/**
 * A prom-client Histogram whose series come from the mesh's request counters at scrape time
 * (request-accounting.ts keeps the buckets as plain numbers, at no cost per request beyond a
 * counter increment): prom-client writes the exposition, this only says what the values are.
 */
import { Histogram, type MetricObjectWithValues, type MetricValueWithName } from 'prom-client';
import { LATENCY_BUCKETS_MS, type RequestCounters } from '../../mesh/index.js';

/** Bucket bounds in seconds, as Prometheus names latencies. */
export const LATENCY_BUCKETS_SECONDS = LATENCY_BUCKETS_MS.map((ms) => ms / 1000);

/** A latency histogram over `source()`'s counters, labelled `{namespace, <nameLabel>}`. */
export class RequestHistogram<L extends string> extends Histogram<L> {
  constructor(
    private readonly metricName: string,
    help: string,
    private readonly nameLabel: L,
    private readonly source: () => Iterable<RequestCounters>,
  ) {
    const labelNames = ['namespace', nameLabel] as L[];
    super({ name: metricName, help, labelNames, buckets: LATENCY_BUCKETS_SECONDS, registers: [] });
  }

  /**
   * What prom-client's Registry formats (it calls this when a metric has it, as Histogram does): the
   * series from the counters, in the shape Histogram's own uses (bucket bounds as the `le` label).
   */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<L>>> {
    const values: Array<MetricValueWithName<L> & { sharedLabels: object }> = [];
    const series = (metricName: string, labels: object, value: number): void =>
      void values.push({ metricName, labels: labels, value, sharedLabels: {} });
    for (const c of this.source()) {
      const labels = { namespace: c.namespace, [this.nameLabel]: c.name };
      let cumulative = 0;
      LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
        cumulative += c.buckets[i]!;
        series(`${this.metricName}_bucket`, { le, ...labels }, cumulative);
      });
      cumulative += c.buckets[LATENCY_BUCKETS_SECONDS.length]!;
      series(`${this.metricName}_bucket`, { le: '+Inf', ...labels }, cumulative);
      series(`${this.metricName}_sum`, labels, c.latencyMsSum / 1000);
      series(`${this.metricName}_count`, labels, c.requests);
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
