/**
 * The contract between the hub's metrics intake (fed by the nodes' `usage` frames, served as
 * `metrics.k8s.io`) and its consumers (the HorizontalPodAutoscaler, `edgectl top`). The intake keeps
 * the latest sample per pod and per node, bounded by the pods and nodes that exist; consumers read it
 * synchronously.
 */
import type { ContainerUsage } from '../../api/index.js';

/** The latest usage of one pod, as its node reported it. */
export interface PodUsageSample {
  namespace: string;
  name: string;
  uid: string;
  /** The node that reported it. */
  node: string;
  /** End of the window (RFC 3339), and its length. */
  timestamp: string;
  windowSeconds: number;
  containers: readonly ContainerUsage[];
  /** HTTP requests per second delivered to the pod over the window (0 when none were). */
  requestsPerSecond: number;
  /** Of those, the answers with a 5xx status or none, per second. */
  errorsPerSecond: number;
  /** Mean latency in milliseconds over the window; undefined with no requests. */
  meanLatencyMs?: number;
  /**
   * The window's request latency histogram: a count per bucket of `LATENCY_BUCKETS_MS` and the open
   * one after it (not cumulative); undefined from a node that sends none, or with no requests.
   */
  latencyBuckets?: readonly number[];
}

/** The latest usage of one node. */
export interface NodeUsageSample {
  name: string;
  timestamp: string;
  windowSeconds: number;
  cpuNanoCores: number;
  memoryBytes: number;
}

/** Read side of the metrics intake. */
export interface UsageSource {
  /** The pod's latest sample, undefined when none arrived yet or it is older than the staleness bound. */
  pod(namespace: string, name: string): PodUsageSample | undefined;
  /** Fresh samples of every pod in a namespace (all namespaces when undefined). */
  pods(namespace?: string): PodUsageSample[];
  node(name: string): NodeUsageSample | undefined;
  nodes(): NodeUsageSample[];
  /**
   * Subscribes to scale-from-zero wake-ups: a node holds a request for this Service, which has no
   * ready endpoint. Returns the unsubscribe function.
   */
  onServiceWake(listener: (namespace: string, service: string) => void): () => void;
}

/** The custom `Pods` metric name an HPA uses for HTTP requests per second per pod. */
export const REQUESTS_PER_SECOND_METRIC = 'http_requests_per_second';
