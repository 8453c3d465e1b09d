/**
 * The node's metrics, built once by the agent: the usage sampler over its pods and the mesh's
 * request counters, the reporter that sends `usage` frames to the hub, and the Prometheus registry
 * served to the hub's `metricsRequest` and, with `--metrics-bind-address`, on a listener of its own.
 * The registry (and prom-client with it, a few MB of an idle agent: issue 20) is built on the first
 * scrape, or at start when a listener is configured; usage sampling does not need it.
 * The agent calls it from a few hook lines (start/stop, the session's welcome and drop, the request).
 */
import type { Registry } from 'prom-client';
import type { HubMetricsRequest, Logger, NodeToHub } from '../../api/index.js';
import { errorMessage } from '../../api/index.js';
import type { RelayMetrics, RequestAccounting } from '../mesh/index.js';
import { meteredPod, type PodWorkerView } from './metered-pods.js';
import { MetricsListener, metricsResult } from './prometheus/metrics-endpoint.js';
import type { WasmRuntimeGauges } from './prometheus/node-registry.js';
import { DEFAULT_METRICS_INTERVAL_MS, UsageReporter } from './usage-reporter.js';
import { UsageSampler } from './usage-sampler.js';

/** The agent's metrics settings (edge-node flags). */
export interface NodeMetricsOptions {
  /** `--metrics-interval` in ms (default 5 s; 0 disables usage sampling and frames). */
  intervalMs?: number;
  /** `--metrics-bind-address`: where Prometheus scrapes `/metrics` (default: no listener). */
  bindAddress?: { host: string; port: number };
  /** The Wasm runtime, for its executor and pool metrics. */
  wasm?: WasmRuntimeGauges;
  /** The mesh relay's counters (when the node uses the relay). */
  relay?: RelayMetrics;
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
  #registry: Promise<Registry> | undefined;
  readonly #deps: NodeMetricsDeps;
  #listener: MetricsListener | undefined;

  constructor(deps: NodeMetricsDeps) {
    this.#deps = deps;
    const { requests, logger } = deps;
    const pods = () => [...deps.pods()].map(meteredPod);
    this.sampler = new UsageSampler({ pods, requests: (ns, name) => requests.pod(ns, name), logger });
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

  /** The Prometheus registry, built (prom-client loaded) on first use. */
  registry(): Promise<Registry> {
    return (this.#registry ??= import('./prometheus/node-registry.js').then(({ nodeRegistry }) =>
      nodeRegistry({
        requests: this.#deps.requests,
        pods: () => [...this.#deps.pods()].map(meteredPod),
        latest: () => this.sampler.latest,
        ...(this.#deps.wasm ? { wasm: this.#deps.wasm } : {}),
        ...(this.#deps.relay ? { relay: this.#deps.relay } : {}),
      }),
    ));
  }

  /** Starts sampling, and the `/metrics` listener when an address is configured. */
  async start(): Promise<void> {
    this.reporter.start();
    const bind = this.#deps.bindAddress;
    if (bind && !this.#listener)
      this.#listener = await MetricsListener.start(await this.registry(), bind.host, bind.port, this.#deps.logger);
  }

  /** The listener's port (undefined without one). */
  get listenerPort(): number | undefined {
    return this.#listener?.port;
  }

  async stop(): Promise<void> {
    await this.reporter.stop();
    await this.#listener?.close();
    this.#listener = undefined;
  }

  /** The hub welcomed the session (`protocol` decides whether it takes metrics frames). */
  connected(protocol: number): void {
    this.reporter.connected(protocol);
  }

  disconnected(): void {
    this.reporter.disconnected();
  }

  /** The hub answered with an `error` (it may have refused a `usage` frame's histograms). */
  hubError(message: string): void {
    this.reporter.hubError(message);
  }

  /** A request waits for Service `namespace/name`, which has no ready endpoint: tell the hub (protocol 3). */
  wake(namespace: string, name: string): void {
    if (this.reporter.speaksMetrics) this.#deps.send({ type: 'serviceWake', namespace, name });
    else this.#deps.logger.debug({ service: `${namespace}/${name}` }, 'hub takes no serviceWake (protocol < 3)');
  }

  /** Answers the hub's `metricsRequest` with the exposition (not awaited by the session's inbox). */
  answer(req: HubMetricsRequest): void {
    void this.registry()
      .then((registry) => metricsResult(registry, req))
      .then((res) => this.#deps.send(res))
      .catch((err: unknown) => this.#deps.logger.warn({ err: errorMessage(err) }, 'could not serve the node metrics'));
  }
}
