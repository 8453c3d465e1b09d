/**
 * The node's probe manager (the kubelet's prober manager): starts the probes of each container
 * instance when it starts and stops them when it ends. Cheap by construction: one timer per probe on
 * the agent's event loop, no thread per probe; a Wasm httpGet is an in-process call.
 */
import { errorMessage } from '../../api/index.js';
import type { Logger, Probe } from '../../api/index.js';
import { ProbeWorker, type ProbeWorkerOwner } from './probe-worker.js';
import { realProbeTimers, type ProbeTarget, type ProbeTimers, type ProbeType } from './types.js';

/** How a container instance's probe results reach its pod worker. */
export interface ProbeListener {
  /** The readiness result changed (starts false when a readiness probe exists). */
  readiness(ready: boolean): void;
  /** The startup probe succeeded: liveness and readiness probes run from now on. */
  started(): void;
  /** A liveness or startup probe reached its failure threshold: the container must be restarted. */
  failed(type: 'liveness' | 'startup', message: string): void;
  /** One attempt failed (reported as an `Unhealthy` Event). */
  unhealthy(type: ProbeType, message: string): void;
}

/** A container instance to probe. */
export interface ProbedContainer extends ProbeTarget {
  /** When the instance started: `initialDelaySeconds` counts from here. */
  startedAtMs: number;
  /** `namespace/pod/container`, for logs. */
  label: string;
}

/** Dependencies of the probe manager. */
export interface ProbeManagerDeps {
  logger: Logger;
  timers?: ProbeTimers;
}

/** The probes of one container instance. Stopped by its owner when the instance ends. */
export class ContainerProbes implements ProbeWorkerOwner {
  readonly target: ProbedContainer;
  readonly timers: ProbeTimers;
  private readonly workers: ProbeWorker[] = [];
  private started: boolean;
  private ready = false;
  private stopped = false;

  constructor(
    target: ProbedContainer,
    private readonly listener: ProbeListener,
    timers: ProbeTimers,
    private readonly logger: Logger,
    private readonly onStopped: (set: ContainerProbes) => void,
  ) {
    this.target = target;
    this.timers = timers;
    const c = target.container;
    const probes: Array<[ProbeType, Probe | undefined]> = [
      ['startup', c.startupProbe],
      ['liveness', c.livenessProbe],
      ['readiness', c.readinessProbe],
    ];
    for (const [type, probe] of probes) if (probe) this.workers.push(new ProbeWorker(type, probe, this));
    this.started = c.startupProbe === undefined;
  }

  get startedAtMs(): number {
    return this.target.startedAtMs;
  }

  /** Probes with a timer or an attempt in flight. */
  get activeCount(): number {
    return this.workers.filter((w) => w.active).length;
  }

  start(): void {
    for (const w of this.workers) w.start();
  }

  /** Stops every probe of the instance. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const w of this.workers) w.stop();
    this.onStopped(this);
  }

  mayProbe(type: ProbeType): boolean {
    return !this.stopped && (type === 'startup' || this.started);
  }

  attemptFailed(type: ProbeType, message: string): void {
    this.call(() => this.listener.unhealthy(type, message));
  }

  settled(type: ProbeType, ok: boolean, message: string): boolean {
    if (this.stopped) return true;
    switch (type) {
      case 'readiness':
        if (ok !== this.ready) {
          this.ready = ok;
          this.logger.info({ container: this.target.label, ready: ok, message }, 'readiness changed');
          this.call(() => this.listener.readiness(ok));
        }
        return false;
      case 'startup':
        if (ok) {
          this.started = true;
          this.call(() => this.listener.started());
          return true; // a startup probe is done once it succeeded
        }
        break;
      case 'liveness':
        if (ok) return false;
        break;
    }
    this.logger.info({ container: this.target.label, probe: type, message }, 'probe failed: container will be killed');
    this.stop();
    this.call(() => this.listener.failed(type, message));
    return true;
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      // A listener bug must not stop the probe loop of other containers.
      this.logger.error({ container: this.target.label, err: errorMessage(err) }, 'probe listener failed');
    }
  }
}

/** Owner of every container's probes on the node. */
export class ProbeManager {
  private readonly timers: ProbeTimers;
  private readonly sets = new Set<ContainerProbes>();

  constructor(private readonly deps: ProbeManagerDeps) {
    this.timers = deps.timers ?? realProbeTimers;
  }

  /** Starts the probes of a container instance; undefined when its spec has none. */
  add(target: ProbedContainer, listener: ProbeListener): ContainerProbes | undefined {
    const c = target.container;
    if (!c.livenessProbe && !c.readinessProbe && !c.startupProbe) return undefined;
    const set = new ContainerProbes(target, listener, this.timers, this.deps.logger, (s) => this.sets.delete(s));
    this.sets.add(set);
    set.start();
    return set;
  }

  /** Probes currently holding a timer or running an attempt, over all containers. */
  activeProbes(): number {
    let n = 0;
    for (const s of this.sets) n += s.activeCount;
    return n;
  }

  /** Stops every probe (agent shutdown). */
  stop(): void {
    for (const s of [...this.sets]) s.stop();
  }
}
