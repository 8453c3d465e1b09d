/**
 * What an admitted node reports over its session: heartbeats, requests for a Service or pod set resync, pod statuses and pods it has let go
 * (written to the store in chunks, so one node's big batch does not hold up the others), log chunks
 * and exec results (handed to the pending requests), metrics frames (to the metrics intake), its image
 * list (to its own Node's status, `node-images.ts`), errors, and Events about its own pods
 * (rate-limited per node, recorded as the node's).
 */
import type { Clock, Logger, Node, NodeToHub, Pod } from '../../api/index.js';
import { IMAGES_PROTOCOL_VERSION } from '../../api/index.js';
import type { NodeLifecycleController } from '../controllers/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import type { NodeMetricsFrames } from '../metrics/index.js';
import type { Informer } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import { NodeEventLimiter, type NodeEventRate } from './event-limiter.js';
import { NodeImages } from './node-images.js';
import type { PodRequests } from './pod-requests.js';
import { PodWriter } from './pod-writer.js';
import type { NodeSession } from './session.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** Least time between two whole Service sets a node's `resync` requests get (more wait, one at most). */
const RESYNC_INTERVAL_MS = 2000;
/** Pod statuses written per turn of the event loop: a node's big batch must not hold up the others. */
const STATUS_CHUNK = 50;

/** Runs `fn` over `items` in chunks of STATUS_CHUNK, yielding to the event loop between chunks. */
async function inChunks<T>(items: readonly T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += STATUS_CHUNK) {
    if (i > 0) await yieldToLoop();
    await Promise.all(items.slice(i, i + STATUS_CHUNK).map(fn));
  }
}

/** Dependencies of {@link NodeReports}. */
export interface NodeReportsDeps {
  api: ObjectAPI;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  lifecycle: NodeLifecycleController;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  requests: PodRequests;
  nodeEventRate?: Partial<NodeEventRate> | undefined;
  /** The node asks for its whole Service set again (it missed a delta). */
  resync(session: NodeSession): void;
  /** The node's resumed pod set is not the hub's (protocol 9): it gets the whole set. */
  podResync(session: NodeSession, node: string): void;
  /** The metrics intake (protocol 3 frames); absent: they are ignored. */
  metrics?: NodeMetricsFrames | undefined;
}

/** A message of an admitted node (everything but `hello`). */
export type NodeReport = Exclude<NodeToHub, { type: 'hello' }>;

/** Takes in what admitted nodes report. */
export class NodeReports {
  readonly #podWriter: PodWriter;
  readonly #eventLimiter: NodeEventLimiter;
  readonly #images: NodeImages;
  readonly #recorders = new Map<string, EventRecorder>();
  /** When each node was last sent a resync, and a deferred one pending. */
  readonly #resyncs = new Map<string, { at: number; timer?: NodeJS.Timeout }>();

  constructor(private readonly deps: NodeReportsDeps) {
    this.#podWriter = new PodWriter(deps.api, deps.pods);
    this.#eventLimiter = new NodeEventLimiter(deps.logger, deps.nodeEventRate, () => deps.clock.now());
    this.#images = new NodeImages({ api: deps.api, nodes: deps.nodes, logger: deps.logger });
  }

  /** Handles one report of `node` (the session's admitted name). */
  async handle(session: NodeSession, node: string, msg: NodeReport): Promise<void> {
    switch (msg.type) {
      case 'heartbeat':
        this.deps.lifecycle.heartbeat(node);
        return;
      case 'resync':
        this.deps.logger.info({ node, reason: msg.reason }, 'node asked for its Service set again');
        this.#resync(session, node);
        return;
      case 'podResync':
        this.deps.logger.warn({ node, reason: msg.reason }, 'node asked for its pod set again');
        this.deps.podResync(session, node);
        return;
      case 'podStatus':
        this.deps.lifecycle.heartbeat(node);
        await inChunks(msg.pods, (p) => this.#podWriter.writeStatus(node, p.pod, p.status));
        return;
      case 'podGone':
        await inChunks(msg.pods, (p) => this.#podWriter.finalize(node, p));
        return;
      case 'logChunk':
        this.deps.requests.logChunk(session, node, msg);
        return;
      case 'execResult':
        this.deps.requests.execResult(node, msg);
        return;
      case 'streamOutput':
      case 'streamAck':
      case 'streamExit':
        this.deps.requests.streamFrame(node, msg);
        return;
      case 'error':
        this.deps.logger.warn({ node, message: msg.message }, 'node reported an error');
        return;
      case 'images':
        if (session.protocol < IMAGES_PROTOCOL_VERSION)
          return session.violation(
            `"images" is a protocol ${IMAGES_PROTOCOL_VERSION} frame; this session speaks protocol ${session.protocol}`,
          );
        // The session's own Node only: the frame names none.
        return this.#images.report(node, msg.images);
      case 'usage':
      case 'serviceWake':
      case 'metricsResult':
        return this.deps.metrics?.handle(session, node, msg);
      case 'event': {
        // Only about the node's own pods: a node cannot write Events about anything else.
        const pod = this.deps.pods.get(msg.pod.namespace, msg.pod.name);
        if (!pod || pod.metadata.uid !== msg.pod.uid || pod.spec.nodeName !== node) return;
        // Each distinct message is a new Event row kept for the event TTL: a node gets a rate, not the store.
        if (!this.#eventLimiter.allow(node)) return;
        await this.#nodeEvents(node).record(pod, msg.eventType, msg.reason, msg.message);
        return;
      }
    }
  }

  /** Sends a whole Service set, at most one per RESYNC_INTERVAL_MS per node (a node cannot make the hub loop on them). */
  #resync(session: NodeSession, node: string): void {
    const last = this.#resyncs.get(node);
    if (last?.timer) return; // one is already on its way
    const wait = last ? last.at + RESYNC_INTERVAL_MS - this.deps.clock.now() : 0;
    const run = (): void => {
      this.#resyncs.set(node, { at: this.deps.clock.now() });
      if (session.open) this.deps.resync(session);
    };
    if (wait <= 0) return run();
    const timer = setTimeout(run, wait);
    timer.unref();
    this.#resyncs.set(node, { at: last!.at, timer });
  }

  /** The node's session closed; `connected` tells which nodes still have one. */
  disconnected(node: string, connected: (node: string) => boolean): void {
    clearTimeout(this.#resyncs.get(node)?.timer);
    this.#resyncs.delete(node);
    // Its recorder's cache of recent Events goes with it (a reconnect starts a fresh one).
    this.#recorders.delete(node);
    this.#eventLimiter.disconnected(node, connected);
  }

  /** The event recorder speaking for one node (`source.component: edge-node`, `source.host: <node>`). */
  #nodeEvents(node: string): EventRecorder {
    let rec = this.#recorders.get(node);
    if (!rec) {
      rec = this.deps.events.forSource('edge-node', node);
      this.#recorders.set(node, rec);
    }
    return rec;
  }
}
