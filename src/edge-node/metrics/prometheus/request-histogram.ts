/**
 * A latency histogram over the mesh's request counters (request-accounting.ts), labelled
 * `{namespace, <nameLabel>}`: the pods' and Services' request durations. The exposition is
 * counts-histogram.ts's, shared with the relay's histograms.
 */
import type { RequestCounters } from '../../mesh/index.js';
import { CountsHistogram, LATENCY_BUCKETS_SECONDS } from './counts-histogram.js';

export { LATENCY_BUCKETS_SECONDS };

/** A latency histogram over `source()`'s counters, labelled `{namespace, <nameLabel>}`. */
export class RequestHistogram<L extends string> extends CountsHistogram<L | 'namespace'> {
  constructor(metricName: string, help: string, nameLabel: L, source: () => Iterable<RequestCounters>) {
    super(metricName, help, ['namespace', nameLabel], function* () {
      for (const c of source()) {
        const labels = { namespace: c.namespace, [nameLabel]: c.name } as Partial<Record<L | 'namespace', string>>;
        yield { labels, counts: { buckets: c.buckets, sumMs: c.latencyMsSum, count: c.requests } };
      }
    });
  }
}
