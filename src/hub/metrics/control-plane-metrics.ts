/**
 * The control plane's own Prometheus metrics, named as Kubernetes names them where it has one: store
 * write latency (`etcd_request_duration_seconds`), work queues per controller (client-go's
 * `workqueue_*`), scheduling attempts and their latency (kube-scheduler's), and the node gateway's
 * frames and bytes by direction and type. Every label takes values from a bounded set: resource
 * plurals, controller names, frame types of the protocol, results.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { HubToNode, NodeToHub } from '../../api/index.js';
import { OTHER_FRAME_TYPE, frameType } from './frame-type.js';
import { scrapedCounter, scrapedGauge } from './scraped-series.js';

/** Latency buckets of client-go's work queues and of store requests (seconds). */
const SHORT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Distinct resources the store metrics name before the rest count as `other`. */
const MAX_STORE_RESOURCES = 64;

const HUB_FRAME_TYPES: ReadonlySet<string> = new Set(HubToNode.options.map((o) => o.shape.type.value));
const NODE_FRAME_TYPES: ReadonlySet<string> = new Set(NodeToHub.options.map((o) => o.shape.type.value));

/** Counts the node gateway's frames (a session calls it per frame it sends or receives). */
export interface FrameMeter {
  /** A frame the hub received, decoded and valid, of `type`. */
  received(type: string, bytes: number): void;
  /** An encoded frame the hub sent (its type is read from its bytes). */
  sent(frame: Uint8Array): void;
}

/** What a work queue reports (one observer per queue). */
export interface WorkQueueObserver {
  added(): void;
  /** A key waited `seconds` in the queue before a worker took it. */
  started(seconds: number): void;
  /** A reconcile took `seconds`. */
  finished(seconds: number): void;
  retried(): void;
}

/** One scheduling attempt's outcome, as kube-scheduler labels them. */
export type SchedulingResult = 'scheduled' | 'unschedulable' | 'error';

/** What the scheduler reports. */
export interface SchedulerObserver {
  attempt(result: SchedulingResult, seconds: number): void;
}

/** Store request latency by operation and resource. */
export interface StoreObserver {
  request(operation: string, key: string, seconds: number): void;
}

/** What the listener's handshake gate reports on each scrape (`tls/handshake-gate.ts`). */
export interface HandshakeGateReading {
  inFlight: number;
  waiting: number;
  counts: { admitted: number; shed: number };
}

/** Registers the control-plane metrics on `registry` and hands out their observers. */
export class ControlPlaneMetrics {
  readonly frames: FrameMeter;
  readonly scheduler: SchedulerObserver;
  readonly store: StoreObserver;
  readonly #queueAdds: Counter<'name'>;
  readonly #queueRetries: Counter<'name'>;
  readonly #queueWait: Histogram<'name'>;
  readonly #queueWork: Histogram<'name'>;
  readonly #queueLengths = new Map<string, () => number>();
  #heartbeatInterval: (() => number) | undefined;
  #handshakeGate: (() => HandshakeGateReading | undefined) | undefined;
  #eventsDropped: (() => number) | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    const frames = new Counter({
      name: 'edgeplane_gateway_frames_total',
      help: 'Node gateway frames by direction (in: from nodes, out: to nodes) and message type.',
      labelNames: ['direction', 'type'],
      registers,
    });
    const bytes = new Counter({
      name: 'edgeplane_gateway_frame_bytes_total',
      help: 'Bytes of node gateway frames by direction and message type.',
      labelNames: ['direction', 'type'],
      registers,
    });
    this.frames = {
      received: (type, n) => {
        const t = NODE_FRAME_TYPES.has(type) ? type : OTHER_FRAME_TYPE;
        frames.inc({ direction: 'in', type: t });
        bytes.inc({ direction: 'in', type: t }, n);
      },
      sent: (frame) => {
        const t = frameType(frame, HUB_FRAME_TYPES);
        frames.inc({ direction: 'out', type: t });
        bytes.inc({ direction: 'out', type: t }, frame.byteLength);
      },
    };

    const attempts = new Counter({
      name: 'scheduler_schedule_attempts_total',
      help: 'Scheduling attempts by result (scheduled, unschedulable, error).',
      labelNames: ['result'],
      registers,
    });
    const attemptSeconds = new Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency (filter, score and binding write) by result.',
      labelNames: ['result'],
      buckets: SHORT_BUCKETS,
      registers,
    });
    this.scheduler = {
      attempt: (result, seconds) => {
        attempts.inc({ result });
        attemptSeconds.observe({ result }, seconds);
      },
    };

    const storeSeconds = new Histogram({
      name: 'etcd_request_duration_seconds',
      help: 'Store request latency by operation (create, update, delete) and resource, whatever the backend.',
      labelNames: ['operation', 'type'],
      buckets: SHORT_BUCKETS,
      registers,
    });
    const resources = new Set<string>();
    this.store = {
      request: (operation, key, seconds) => {
        // `/registry/<plural>/…`: the plural, from a bounded set (resource kinds).
        let type = key.startsWith('/registry/') ? (key.split('/')[2] ?? OTHER_FRAME_TYPE) : OTHER_FRAME_TYPE;
        if (!resources.has(type)) {
          if (resources.size >= MAX_STORE_RESOURCES) type = OTHER_FRAME_TYPE;
          else resources.add(type);
        }
        storeSeconds.observe({ operation, type }, seconds);
      },
    };

    const interval = (): number | undefined => this.#heartbeatInterval?.();
    new Gauge({
      name: 'edgeplane_gateway_heartbeat_interval_seconds',
      help: 'The heartbeat interval the hub gives its nodes: --heartbeat-interval, or longer for a fleet past --max-heartbeats-per-second.',
      registers,
      collect() {
        const s = interval();
        if (s !== undefined) this.set(s);
      },
    });

    // Before the hub listens (or without TLS) there is no gate: its series read 0.
    const gate = (read: (g: HandshakeGateReading) => number) => (): number => {
      const g = this.#handshakeGate?.();
      return g ? read(g) : 0;
    };
    scrapedGauge(
      registers,
      'edgeplane_hub_tls_handshakes_in_flight',
      'TLS handshakes the hub works on now (at most --max-handshakes-in-flight).',
      gate((g) => g.inFlight),
    );
    scrapedGauge(
      registers,
      'edgeplane_hub_tls_connections_waiting',
      'Accepted connections waiting, unread, for a TLS handshake slot.',
      gate((g) => g.waiting),
    );
    scrapedCounter(
      registers,
      'edgeplane_hub_tls_connections_admitted_total',
      'Accepted connections handed to the TLS server for their handshake.',
      gate((g) => g.counts.admitted),
    );
    scrapedCounter(
      registers,
      'edgeplane_hub_tls_connections_shed_total',
      'Accepted connections closed unread: they waited too long for a handshake slot, or too many waited.',
      gate((g) => g.counts.shed),
    );

    scrapedCounter(
      registers,
      'edgeplane_events_dropped_total',
      "Writes of the hub's own Events refused by its event rate (--event-qps, --event-burst); the occurrences of an Event already written are carried to its next write.",
      () => this.#eventsDropped?.() ?? 0,
    );

    const lengths = this.#queueLengths;
    new Gauge({
      name: 'workqueue_depth',
      help: 'Keys waiting or being reconciled, per controller queue.',
      labelNames: ['name'],
      registers,
      collect() {
        for (const [name, length] of lengths) this.set({ name }, length());
      },
    });
    this.#queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Keys added to a controller queue.',
      labelNames: ['name'],
      registers,
    });
    this.#queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Failed reconciles queued again with back-off.',
      labelNames: ['name'],
      registers,
    });
    this.#queueWait = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long a key waited in a controller queue before a worker took it.',
      labelNames: ['name'],
      buckets: SHORT_BUCKETS,
      registers,
    });
    this.#queueWork = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long one reconcile of a controller took.',
      labelNames: ['name'],
      buckets: SHORT_BUCKETS,
      registers,
    });
  }

  /** The gateway's heartbeat pace, read on each scrape (`gateway/heartbeat-pace.ts`). */
  heartbeatPace(seconds: () => number): void {
    this.#heartbeatInterval = seconds;
  }

  /** The listener's handshake gate, read on each scrape (undefined: plain HTTP, or not listening yet). */
  handshakeGate(read: () => HandshakeGateReading | undefined): void {
    this.#handshakeGate = read;
  }

  /** The hub's count of Events dropped over its event rate, read on each scrape. */
  eventsDropped(read: () => number): void {
    this.#eventsDropped = read;
  }

  /** The observer of queue `name`, whose depth `length` reads on each scrape. */
  queue(name: string, length: () => number): WorkQueueObserver {
    this.#queueLengths.set(name, length);
    return {
      added: () => this.#queueAdds.inc({ name }),
      started: (s) => this.#queueWait.observe({ name }, s),
      finished: (s) => this.#queueWork.observe({ name }, s),
      retried: () => this.#queueRetries.inc({ name }),
    };
  }
}

/** A controller whose queue can be observed (reconcile's `Controller`). */
interface QueueOwner {
  observeQueue(observe: (name: string, length: () => number) => WorkQueueObserver): void;
}
/** The scheduler, whose attempts can be observed. */
interface AttemptOwner {
  observeAttempts(observer: SchedulerObserver): void;
}

/** Has every controller among `runners` report its queue, and the scheduler its attempts, to `metrics`. */
export function observeControllers(runners: readonly object[], metrics: ControlPlaneMetrics): void {
  for (const r of runners) {
    if ('observeQueue' in r) (r as QueueOwner).observeQueue((name, length) => metrics.queue(name, length));
    if ('observeAttempts' in r) (r as AttemptOwner).observeAttempts(metrics.scheduler);
  }
}
