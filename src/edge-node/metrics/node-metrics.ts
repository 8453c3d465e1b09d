/**
 * The node's metrics, built once by the agent: the usage sampler over its pods and the mesh's
 * request counters, and the reporter that sends `usage` frames to the hub. The agent calls it from
 * a few hook lines (start/stop, the session's welcome and drop).
 */
import type { Logger, NodeToHub } from '../../api/index.js';
import type { RequestAccounting } from '../mesh/index.js';
import { meteredPod, type PodWorkerView } from './metered-pods.js';
import { DEFAULT_METRICS_INTERVAL_MS, UsageReporter } from './usage-reporter.js';
import { UsageSampler } from './usage-sampler.js';

/** The agent's metrics settings (edge-node flags). */
export interface NodeMetricsOptions {
  /** `--metrics-interval` in ms (default 5 s; 0 disables usage sampling and frames). */
  intervalMs?: number;
  /** `--metrics-bind-address`: where Prometheus scrapes `/metrics` (default: no listener). */
  bindAddress?: { host: string; port: number };
}

/** What the node's metrics read from and write to. */
export interface NodeMetricsDeps extends NodeMetricsOptions {
  /** The node's pod workers. */
  pods(): Iterable<PodWorkerView>;
  requests: RequestAccounting;
  send(frame: NodeToHub): boolean;
  logger: Logger;
}

/** The node's metrics (see the file comment). */
export class NodeMetrics {
  readonly sampler: UsageSampler;
  readonly reporter: UsageReporter;

  constructor(deps: NodeMetricsDeps) {
    const { requests, logger } = deps;
    this.sampler = new UsageSampler({
      pods: () => [...deps.pods()].map(meteredPod),
      requests: (ns, name) => requests.pod(ns, name),
      logger,
    });
    this.reporter = new UsageReporter({
      sampler: this.sampler,
      send: (frame) => deps.send(frame),
      intervalMs: deps.intervalMs ?? DEFAULT_METRICS_INTERVAL_MS,
      logger,
      afterSample: () => {
        // Counters of pods no longer on the node go (bounded by the pods that exist).
        const live = new Set([...deps.pods()].map((p) => `${p.ref.namespace}/${p.ref.name}`));
        requests.retainPods((ns, name) => live.has(`${ns}/${name}`));
      },
    });
  }

  start(): void {
    this.reporter.start();
  }

  async stop(): Promise<void> {
    await this.reporter.stop();
  }

  /** The hub welcomed the session (`protocol` decides whether it takes metrics frames). */
  connected(protocol: number): void {
    this.reporter.connected(protocol);
  }

  disconnected(): void {
    this.reporter.disconnected();
  }
}
