/**
 * The hub's Prometheus metrics (prom-client), named as the kube-apiserver names them where there is
 * one: process and Node.js defaults (event-loop lag included), API requests by verb, resource and code
 * with a latency histogram, long-running requests, watchers, connected nodes, the usage intake, the
 * mesh relay (`relay-metrics.ts`), and the control plane's own (`control-plane-metrics.ts`). One registry per hub
 * (no prom-client global), so tests and several hubs in one process stay apart.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ControlPlaneMetrics } from './control-plane-metrics.js';
import { relayMetrics, type RelayFigures } from './relay-metrics.js';
import { scrapedCounter, scrapedGauge } from './scraped-series.js';

/** Live figures the hub reads on each scrape (cheap callbacks, no per-event bookkeeping). */
export interface MetricSources {
  /** Nodes with a live gateway session. */
  connectedNodes?: () => number;
  /** API watchers served by shared watches, and store watches held. */
  watchers?: () => { watchers: number; storeWatches: number };
  /** The usage intake's counters (usage frames taken in, entries and wake-ups turned away). */
  usage?: () => { frames: number; refusedPods: number; refusedWakes: number };
  /** The mesh relay's counters (`relay-metrics.ts`). */
  relay?: () => RelayFigures;
}

/** The kube-apiserver's latency buckets (seconds), so dashboards built for it read ours. */
const LATENCY_BUCKETS = [
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
];

/** One finished API request, as the middleware saw it. */
export interface RequestSample {
  /** Kubernetes verb in upper case: GET, LIST, WATCH, POST, PUT, PATCH, DELETE, … */
  verb: string;
  /** Plural resource (`pods`), or '' for non-resource URLs. */
  resource: string;
  subresource: string;
  code: number;
  seconds: number;
}

/**
 * prom-client defaults the hub leaves out: each scrape listed every libuv handle and async resource
 * twice (`process._getActiveHandles`, `getActiveResourcesInfo`), one per connection, and grouped them
 * by type: at 10,000 node sessions ~30 ms on the event loop per scrape (profile in docs/benchmarks.md).
 * `edgeplane_connected_nodes` counts the sessions, `process_open_fds` the sockets.
 */
const PER_HANDLE_SERIES = [
  'nodejs_active_handles',
  'nodejs_active_handles_total',
  'nodejs_active_resources',
  'nodejs_active_resources_total',
];

export class HubMetrics {
  readonly registry = new Registry();
  /** Store, work-queue, scheduler and gateway metrics, and their observers. */
  readonly controlPlane = new ControlPlaneMetrics(this.registry);
  readonly #requests: Counter<'verb' | 'resource' | 'subresource' | 'code'>;
  readonly #duration: Histogram<'verb' | 'resource' | 'subresource'>;
  readonly #longRunning: Gauge<'verb' | 'resource'>;
  readonly #inflight: Gauge<'request_kind'>;
  readonly #rejected: Counter<'request_kind'>;
  readonly #loopBlocks: Counter;
  readonly #loopLongest: Gauge;

  constructor(sources: MetricSources = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    for (const name of PER_HANDLE_SERIES) this.registry.removeSingleMetric(name);
    this.#requests = new Counter({
      name: 'apiserver_request_total',
      help: 'API requests by verb, resource, subresource and HTTP code.',
      labelNames: ['verb', 'resource', 'subresource', 'code'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'API request latency (for WATCH and followed logs: until the stream starts).',
      labelNames: ['verb', 'resource', 'subresource'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#longRunning = new Gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Open long-running requests (watches, followed logs).',
      labelNames: ['verb', 'resource'],
      registers,
    });
    this.#inflight = new Gauge({
      name: 'apiserver_current_inflight_requests',
      help: 'Requests being served, by kind (readOnly, mutating).',
      labelNames: ['request_kind'],
      registers,
    });
    this.#rejected = new Counter({
      name: 'apiserver_dropped_requests_total',
      help: 'Requests refused with 429 because their in-flight budget was full.',
      labelNames: ['request_kind'],
      registers,
    });
    this.#loopBlocks = new Counter({
      name: 'edgeplane_event_loop_blocks_total',
      help: 'Times the event loop was blocked longer than the warning threshold.',
      registers,
    });
    this.#loopLongest = new Gauge({
      name: 'edgeplane_event_loop_longest_block_seconds',
      help: 'Longest event-loop block seen since the hub started.',
      registers,
    });
    const { connectedNodes, watchers, usage, relay } = sources;
    if (usage) usageCounters(registers, usage);
    if (relay) relayMetrics(registers, relay);
    if (connectedNodes)
      scrapedGauge(registers, 'edgeplane_connected_nodes', 'Nodes with a live session to this hub.', connectedNodes);
    if (watchers) {
      scrapedGauge(
        registers,
        'apiserver_registered_watchers',
        'Watchers (API clients and the hub informers) served by shared watches.',
        () => watchers().watchers,
      );
      scrapedGauge(
        registers,
        'edgeplane_store_shared_watches',
        'Store watches held by shared watches (one per watched collection).',
        () => watchers().storeWatches,
      );
    }
  }

  /** Records one finished request. */
  request(s: RequestSample): void {
    const labels = { verb: s.verb, resource: s.resource, subresource: s.subresource };
    this.#requests.inc({ ...labels, code: String(s.code) });
    this.#duration.observe(labels, s.seconds);
  }

  /** Counts a long-running request open; the returned function counts it closed. */
  longRunning(verb: string, resource: string): () => void {
    this.#longRunning.inc({ verb, resource });
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.#longRunning.dec({ verb, resource });
    };
  }

  /** Sets the in-flight count of one request kind. */
  inflight(kind: string, n: number): void {
    this.#inflight.set({ request_kind: kind }, n);
  }

  /** Counts a request refused for lack of in-flight budget. */
  rejected(kind: string): void {
    this.#rejected.inc({ request_kind: kind });
  }

  /** Records an event-loop block of `seconds`. */
  loopBlocked(seconds: number): void {
    this.#loopBlocks.inc();
    const longest = this.#longestBlock;
    if (seconds > longest) {
      this.#longestBlock = seconds;
      this.#loopLongest.set(seconds);
    }
  }

  #longestBlock = 0;

  /** The exposition text and its content type. */
  async render(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/** Counters read from the usage intake on each scrape (it counts; the registry only reports). */
function usageCounters(
  registers: Registry[],
  usage: () => { frames: number; refusedPods: number; refusedWakes: number },
): void {
  const counter = (name: string, help: string, read: (u: ReturnType<typeof usage>) => number): void =>
    scrapedCounter(registers, name, help, () => read(usage()));
  counter('edgeplane_usage_frames_total', 'Usage frames taken in from nodes.', (u) => u.frames);
  counter(
    'edgeplane_usage_refused_pods_total',
    'Pod usage entries ignored: the pod is unknown or not bound to the reporting node.',
    (u) => u.refusedPods,
  );
  counter(
    'edgeplane_service_wakes_refused_total',
    'serviceWake frames ignored: the Service does not exist or the node does not route it.',
    (u) => u.refusedWakes,
  );
}
