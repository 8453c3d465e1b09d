/**
 * A quantile of a latency histogram, as Prometheus' `histogram_quantile` computes it (what Flagger's
 * built-in `request-duration` query, `histogram_quantile(0.99, …)`, reads): find the bucket the rank
 * falls in and interpolate linearly inside it, the first bucket starting at 0; a rank in the open
 * bucket answers the highest finite bound.
 */
import { LATENCY_BUCKETS_MS } from '../../../api/index.js';

/**
 * The `q` quantile (0..1) in milliseconds of `counts` (one per bucket of `LATENCY_BUCKETS_MS` and the
 * open one after it, not cumulative); undefined with no requests.
 */
export function latencyQuantileMs(counts: readonly number[], q: number): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i] ?? 0;
    if (n > 0 && below + n >= rank) {
      if (i >= LATENCY_BUCKETS_MS.length) return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1];
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1]!;
      const upper = LATENCY_BUCKETS_MS[i]!;
      return lower + ((upper - lower) * (rank - below)) / n;
    }
    below += n;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1];
}
