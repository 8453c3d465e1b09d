/**
 * The gateway frames of protocol 3 that carry resource and request metrics (part of the protocol in
 * `wire.ts`, which lists them in `NodeToHub`/`HubToNode`). The hub sends `metricsRequest` only on a
 * session of protocol 3 or later and refuses metrics frames on an older one. As in Kubernetes' version
 * skew, the hub is upgraded first: an older hub refuses a newer node's hello.
 *
 * - `usage`: every `--metrics-interval` (default 5 s) a node reports, per pod it runs, what the pod used
 *   over the last window (CPU as a rate, memory as the current working set) and the HTTP requests the
 *   node's proxy and mesh delivered to it. The hub keeps the latest sample per pod and node for
 *   `metrics.k8s.io` and the HorizontalPodAutoscaler. Pods past one frame's bound go in further frames
 *   of the same window (each frame stands alone: the hub merges by pod).
 * - `serviceWake`: a request reached a Service with no ready endpoint; the node holds it, and the hub
 *   scales a workload that an autoscaler took to zero back to one at once.
 * - `metricsRequest` / `metricsResult`: the hub's authenticated proxy to a node's Prometheus metrics
 *   (`/api/v1/nodes/{name}/proxy/metrics`), for nodes behind NAT that cannot be scraped directly.
 */
import { z } from 'zod';
import { Name, Str } from './wire-shapes.js';

/** First protocol version that carries these frames. */
export const METRICS_PROTOCOL_VERSION = 3;
/** Pods in one `usage` frame: about 20 values each, inside the node frames' 2048-value bound. */
export const MAX_USAGE_PODS_PER_FRAME = 64;
/** Largest Prometheus exposition a node returns through the hub's proxy. */
export const MAX_METRICS_BODY_BYTES = 2 * 1024 * 1024;

const REQUEST_ID_MAX = 64;
const Count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const UsageRef = z.strictObject({ namespace: Name, name: Name, uid: Str });

/** What a container used over the window. */
export const ContainerUsage = z.strictObject({
  name: Name,
  /** CPU used over the window, as a rate in billionths of a core (Kubernetes' `n` suffix). */
  cpuNanoCores: Count,
  /** Working set at the end of the window (Wasm: linear memory plus instance overhead). */
  memoryBytes: Count,
});
export type ContainerUsage = z.infer<typeof ContainerUsage>;

/**
 * Upper bounds (ms) of the request latency histogram's buckets, a last open bucket after them: the
 * node's Prometheus histograms and the `usage` frames' `latencyBuckets` (by index) alike. Close to
 * Prometheus' defaults, so a P99 of a few ms to 10 s has a bucket.
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

/** HTTP requests the node delivered to one pod over the window (NodePort, mesh and local callers alike). */
export const PodRequestUsage = z.strictObject({
  requests: Count,
  /** Answers with a 4xx status. */
  errors4xx: Count,
  /** Answers with a 5xx status, plus requests that failed without an answer. */
  errors5xx: Count,
  /** Sum of the requests' latencies in milliseconds (the mean is `latencyMsSum / requests`). */
  latencyMsSum: z.number().nonnegative(),
  /**
   * The window's latency histogram, sparse: `[bucket, count]` for each bucket of `LATENCY_BUCKETS_MS`
   * (index; one past the last bound is the open bucket) that counted requests in the window. Added
   * within protocol 8: a hub that predates it refuses the field, so a node sends it only until such a
   * hub says so (`usage-reporter.ts`), and a hub reads a report without it as one without a histogram.
   */
  latencyBuckets: z
    .array(z.tuple([z.number().int().min(0).max(LATENCY_BUCKETS_MS.length), Count]))
    .max(LATENCY_BUCKETS_MS.length + 1)
    .optional(),
});
export type PodRequestUsage = z.infer<typeof PodRequestUsage>;

export const PodUsage = z.strictObject({
  pod: UsageRef,
  containers: z.array(ContainerUsage).max(64),
  /** Absent when the node's proxy delivered nothing to the pod (or it serves no port). */
  http: PodRequestUsage.optional(),
});
export type PodUsage = z.infer<typeof PodUsage>;

/** A node's usage over one window. */
export const NodeUsage = z.strictObject({
  type: z.literal('usage'),
  /** End of the window (RFC 3339). */
  timestamp: z.string().max(64),
  /** The window's length in seconds (the metrics' `window`). */
  windowSeconds: z.number().positive().max(3600),
  /** The whole node: its processes and every container (from the host's cgroup or `/proc`). */
  node: z.strictObject({ cpuNanoCores: Count, memoryBytes: Count }),
  pods: z.array(PodUsage).max(MAX_USAGE_PODS_PER_FRAME),
});
export type NodeUsage = z.infer<typeof NodeUsage>;

/** A request is waiting on the node for a Service with no ready endpoint (scale from zero). */
export const NodeServiceWake = z.strictObject({
  type: z.literal('serviceWake'),
  namespace: Name,
  /** The Service's name. */
  name: Name,
});
export type NodeServiceWake = z.infer<typeof NodeServiceWake>;

/** The hub asks for the node's Prometheus metrics (the text exposition of its `/metrics`). */
export const HubMetricsRequest = z.strictObject({
  type: z.literal('metricsRequest'),
  requestId: z.string().max(REQUEST_ID_MAX),
});
export type HubMetricsRequest = z.infer<typeof HubMetricsRequest>;

/** The answer to a `metricsRequest`: the exposition text, or why there is none. */
export const NodeMetricsResult = z.strictObject({
  type: z.literal('metricsResult'),
  requestId: z.string().max(REQUEST_ID_MAX),
  contentType: z.string().max(256).optional(),
  body: z.string().max(MAX_METRICS_BODY_BYTES).optional(),
  error: z
    .string()
    .max(64 * 1024)
    .optional(),
});
export type NodeMetricsResult = z.infer<typeof NodeMetricsResult>;
