/** What the node lifecycle controller is configured with and what it reads and writes. */
import type { Clock, Logger, Node, Pod } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { ZoneEvictionOptions } from './zone-eviction.js';

/** Timings of the node lifecycle (`--node-grace-period`, `--pod-eviction-timeout`, eviction rates). */
export interface NodeLifecycleOptions extends ZoneEvictionOptions {
  gracePeriodSeconds: number;
  evictionTimeoutSeconds: number;
  statusRefreshSeconds?: number;
  /** How long after the hub listens the grace of nodes not heard from yet may still start later while the hub is behind (default 120). */
  startupCatchUpSeconds?: number;
  tickMs?: number;
}

/** The node lifecycle controller's dependencies and timings. */
export interface NodeLifecycleDeps extends NodeLifecycleOptions {
  /** Writes of `markReady` (any hub, on a node's hello). */
  api: ObjectAPI;
  /**
   * Writes of the sweep (Ready=Unknown, heartbeats, taints, evictions): with several hubs, fenced by
   * the leadership term so a tick in flight writes nothing once this hub stops leading (default `api`).
   */
  sweepApi?: ObjectAPI;
  nodes: Informer<Node>;
  pods: Informer<Pod>;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
}
