/** What the node lifecycle controller is configured with and what it reads and writes. */
import type { Clock, Logger, Node, Pod } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { ZoneEvictionOptions } from './zone-eviction.js';

/**
 * How often a Ready node's status is written when nothing changed (its `lastHeartbeatTime`). Liveness is
 * kept in memory and, between hubs, in presence records, so only observers read this. At 60 s, 10,000
 * idle nodes made 167 Node writes a second, ~0.75 ms each: ~6% of a core at 5,000 nodes (issue 14's idle profile).
 */
export const DEFAULT_STATUS_REFRESH_SECONDS = 300;

/** Timings of the node lifecycle (`--node-grace-period`, `--pod-eviction-timeout`, eviction rates). */
export interface NodeLifecycleOptions extends ZoneEvictionOptions {
  gracePeriodSeconds: number;
  /**
   * How many times `gracePeriodSeconds` silence must last now (default 1): the gateway's heartbeat
   * pace, which slows a fleet past its heartbeat budget (`gateway/heartbeat-pace.ts`).
   */
  graceScale?: () => number;
  evictionTimeoutSeconds: number;
  /** How often an unchanged Ready node's status is written (default 300). */
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
  /** Real elapsed milliseconds, where stalls of the event loop are seen (default `performance.now`; tests). */
  monotonic?: () => number;
  logger: Logger;
}
