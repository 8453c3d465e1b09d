/**
 * The agent's record of one container of a pod across its restarts: the current runtime instance,
 * the reported state, restart accounting and the two back-offs (restart, image pull). Mutated only by
 * the owning `PodWorker`'s sync loop.
 */
import type { Container, ContainerState, PulledImage, Runtime } from '../../api/index.js';
import { Backoff } from '../backoff.js';
import type { ContainerProbes } from '../probes/index.js';
import type { ContainerView } from './pod-status.js';

/** Restart back-off parameters (Kubernetes: 10 s doubling to 300 s, reset after 10 min running). */
export interface RestartBackoffOptions {
  initialMs: number;
  maxMs: number;
  /** A container that ran at least this long before exiting restarts with the initial delay again. */
  resetAfterMs: number;
}

/** Kubernetes' container restart back-off. */
export const DEFAULT_RESTART_BACKOFF: RestartBackoffOptions = {
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 600_000,
};

/** One running (or created) instance of a container in a runtime. */
export interface ContainerInstance {
  id: string;
  runtime: Runtime;
  /** Spec hash the instance was created from. */
  hash: string;
  startedAtMs?: number;
  startedAt?: string;
}

/** Per-container state owned by a pod worker. */
export class ContainerSlot {
  spec: Container;
  hash = '';
  image: PulledImage | undefined;
  /** Spec image the pulled `image` belongs to. */
  imageRef: string | undefined;
  instance: ContainerInstance | undefined;
  /** Id of the most recent instance (kept after it is removed, for status). */
  lastContainerId: string | undefined;
  /** Instances started so far; `restartCount` is one less. */
  starts = 0;
  /** The runtime was asked once for a container of an earlier agent run (container-adopt.ts). */
  adoptChecked = false;
  state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: ContainerState | undefined;
  /** Terminated and the restart policy says no restart follows. */
  finished = false;
  pullFailures = 0;
  readonly restartBackoff: Backoff;
  readonly pullBackoff: Backoff;
  /** Timer of a pending back-off; while set, the worker does not start the container. */
  retryTimer: NodeJS.Timeout | undefined;
  /** Set by a probe manager; undefined means "no readiness probe": ready once running. */
  readiness: boolean | undefined;
  /** Startup probe result of the current instance; undefined means "no startup probe": started once running. */
  startupPassed: boolean | undefined;
  /** The probes of the current instance. */
  probes: ContainerProbes | undefined;
  /** A liveness or startup probe failed for good: the worker kills this instance. */
  probeKill: { containerId: string; type: 'liveness' | 'startup'; message: string } | undefined;
  /** The instance is being stopped after a probe failure (not ready any more, not yet exited). */
  killing = false;
  /** What the container waits for in `CreateContainerConfigError` (its Event is recorded once per message). */
  configWait: string | undefined;

  constructor(spec: Container, backoff: RestartBackoffOptions) {
    this.spec = spec;
    this.restartBackoff = new Backoff({ initialMs: backoff.initialMs, maxMs: backoff.maxMs, immediateFirst: true });
    this.pullBackoff = new Backoff({ initialMs: backoff.initialMs, maxMs: backoff.maxMs });
  }

  get restartCount(): number {
    return Math.max(0, this.starts - 1);
  }

  get inBackoff(): boolean {
    return this.retryTimer !== undefined;
  }

  /** True when the current instance is running (as last recorded by the worker). */
  get running(): boolean {
    return this.instance !== undefined && this.state.running !== undefined;
  }

  /** Probe state of a new instance: not ready while a readiness probe exists, not started while a startup probe does. */
  resetProbeState(): void {
    this.readiness = this.spec.readinessProbe ? false : undefined;
    this.startupPassed = this.spec.startupProbe ? false : undefined;
    this.probeKill = undefined;
    this.killing = false;
  }

  /** Stops the probes of the current instance. */
  stopProbes(): void {
    this.probes?.stop();
    this.probes = undefined;
  }

  /** Schedules `wake` after `delayMs`; a pending one is replaced. */
  scheduleRetry(delayMs: number, wake: () => void): void {
    this.cancelRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      wake();
    }, delayMs);
    this.retryTimer.unref?.();
  }

  cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** The status view of this container. */
  view(runtimeName: string | undefined): ContainerView {
    const id = this.instance?.id ?? this.lastContainerId;
    // Kubernetes: started once the startup probe passed; ready once started and readiness passes.
    const started = this.running && this.startupPassed !== false;
    const v: ContainerView = {
      name: this.spec.name,
      image: this.spec.image,
      ready: started && this.readiness !== false && !this.killing,
      started,
      restartCount: this.restartCount,
      state: this.state,
      finished: this.finished,
    };
    if (this.image) v.imageID = this.image.digest;
    if (id !== undefined) v.containerID = `${this.instance?.runtime.name ?? runtimeName ?? 'unknown'}://${id}`;
    if (this.lastState) v.lastState = this.lastState;
    return v;
  }
}
