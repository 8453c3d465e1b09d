/**
 * Where the node gateway hands the metrics frames of protocol 3 (`wire-metrics.ts`): `usage` to the
 * {@link UsageStore}, `metricsResult` to the {@link NodeMetricsProxy}, and `serviceWake` to the wake
 * listeners once it is checked: the Service exists and the node routes it (a NodePort Service, or one
 * of a namespace its pods need). A frame on a session older than protocol 3 is a protocol violation.
 */
import type { Clock, Logger, NodeMetricsResult, NodeServiceWake, NodeUsage, Service } from '../../api/index.js';
import { METRICS_PROTOCOL_VERSION } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { NodeMetricsProxy, type MetricsSession } from './node-metrics-proxy.js';
import type { UsageStore } from './usage-store.js';

/** A metrics frame of a node. */
export type NodeMetricsFrame = NodeUsage | NodeServiceWake | NodeMetricsResult;

/** The part of a gateway session the intake uses. */
export interface MetricsFrameSession extends MetricsSession {
  violation(reason: string): void;
}

/** What the gateway tells the intake about its sessions (bound once, when the gateway is built). */
export interface GatewayView {
  sessionOf(node: string): MetricsSession | undefined;
  /** True when `node` is sent the ClusterIP Services of `namespace` (its pods need them). */
  routesNamespace(node: string, namespace: string): boolean;
}

/** Dependencies of {@link NodeMetricsFrames}. */
export interface NodeMetricsFramesDeps {
  usage: Pick<UsageStore, 'report' | 'wake'>;
  services: Pick<Informer<Service>, 'get'>;
  logger: Logger;
  clock: Clock;
  /** Node proxy limits (default: 10 s timeout, 4 in flight per node). */
  proxy?: { timeoutMs?: number; maxPerNode?: number };
}

/**
 * Least time between two wake-ups of one Service passed on (held requests of many nodes make one).
 * Shorter than a node's repeat (1 s, `service-hold.ts`), so a node that still holds requests is heard
 * again on its next repeat: coalescing never loses a wait, it only spares the controller duplicates.
 */
const WAKE_INTERVAL_MS = 500;
/** Wake-ups remembered for that dedupe before the oldest are forgotten. */
const MAX_RECENT_WAKES = 1024;

/** Counters of the frames turned away, for the hub's /metrics. */
export interface NodeMetricsFrameStats {
  /** `serviceWake` frames for a Service that does not exist or the node does not route. */
  refusedWakes: number;
}

/** The gateway's metrics intake. */
export class NodeMetricsFrames {
  readonly proxy: NodeMetricsProxy;
  readonly stats: NodeMetricsFrameStats = { refusedWakes: 0 };
  #view: GatewayView | undefined;
  readonly #recentWakes = new Map<string, number>();

  constructor(private readonly deps: NodeMetricsFramesDeps) {
    this.proxy = new NodeMetricsProxy({ sessionOf: (node) => this.#view?.sessionOf(node), ...deps.proxy });
  }

  /** Called by the gateway once, with its view of sessions and routes. */
  bind(view: GatewayView): void {
    this.#view = view;
  }

  /** Handles one metrics frame of `node` (the session's admitted name). */
  handle(session: MetricsFrameSession, node: string, msg: NodeMetricsFrame): void {
    if (session.protocol < METRICS_PROTOCOL_VERSION)
      return session.violation(
        `"${msg.type}" is a protocol ${METRICS_PROTOCOL_VERSION} frame; this session speaks protocol ${session.protocol}`,
      );
    switch (msg.type) {
      case 'usage':
        return this.deps.usage.report(node, msg);
      case 'metricsResult':
        return this.proxy.result(node, msg);
      case 'serviceWake':
        return this.#wake(node, msg);
    }
  }

  /** The node's session closed: its metrics requests fail now. */
  disconnected(node: string): void {
    this.proxy.disconnected(node);
  }

  #wake(node: string, msg: NodeServiceWake): void {
    const { namespace, name } = msg;
    const svc = this.deps.services.get(namespace, name);
    const routed =
      svc !== undefined && (svc.spec.type === 'NodePort' || this.#view?.routesNamespace(node, namespace) === true);
    if (!routed) {
      this.stats.refusedWakes++;
      this.deps.logger.warn(
        { node, namespace, service: name },
        'serviceWake for a Service the node does not route ignored',
      );
      return;
    }
    const key = `${namespace}/${name}`;
    const now = this.deps.clock.now();
    const last = this.#recentWakes.get(key);
    if (last !== undefined && now - last < WAKE_INTERVAL_MS) return;
    this.#recentWakes.delete(key);
    this.#recentWakes.set(key, now);
    // Oldest first (insertion order): the map never grows past its bound.
    for (const k of this.#recentWakes.keys()) {
      if (this.#recentWakes.size <= MAX_RECENT_WAKES) break;
      this.#recentWakes.delete(k);
    }
    this.deps.usage.wake(namespace, name);
  }
}
