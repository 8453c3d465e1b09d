/**
 * One worker per pod, as in the kubelet: the latest desired spec is kept, updates are coalesced into
 * one serial sync loop (never two runtime operations for the same pod at once), a kill sticks (once
 * terminating, nothing starts again), and every step is reflected in the reported status.
 */
import { defaultRuntimeClass, errorMessage, isPodTerminal, podRequestTimeoutMs, rfc3339 } from '../../api/index.js';
import type { Pod, PodStatus, Runtime } from '../../api/index.js';
import { containerSpecHash } from './container-config.js';
import { ContainerSlot } from './container-slot.js';
import { syncContainer } from './container-sync.js';
import type { LocalPod, LocalTarget } from '../mesh/index.js';
import { findLocalTarget, podIPOf } from './local-target.js';
import { computePodStatus, type PodView } from './pod-status.js';
import { killContainers, quietContainers, shortenGrace } from './pod-kill.js';
import { podRefOf, type PodKey } from './pod-ref.js';
import { TerminationDrain } from './termination-drain.js';
import type { PodWorkerDeps, TerminationReason, WorkerContext } from './worker-context.js';

export type { PodWorkerDeps, TerminationReason };

const DEFAULT_GRACE_SECONDS = 30;

/** Runs one pod. Created by `PodWorkers`; driven by `update`, `terminate` and container events. */
export class PodWorker implements LocalPod {
  readonly uid: string;
  readonly ref: PodKey;
  private desired: Pod;
  private readonly deps: PodWorkerDeps;
  /** This worker as its container helpers (start, exit, probe kill) see it. */
  private readonly ctx: WorkerContext;
  private readonly slots = new Map<string, ContainerSlot>();
  private runtime: Runtime | undefined;
  private failure: { reason: string; message: string } | undefined;
  /** A pod already terminal when assigned is only reported, never run again. */
  private readonly inheritedStatus: PodStatus | undefined;
  private terminating: { graceMs: number; reason: TerminationReason } | undefined;
  private terminated = false;
  private evicted = false;
  private readonly abort = new AbortController();
  private dirty = false;
  private loop: Promise<void> | undefined;
  private startTime: string | undefined;
  private lastStatus: PodStatus | undefined;
  private readonly drain = new TerminationDrain(); // serving on while terminating, until quiet

  constructor(deps: PodWorkerDeps) {
    this.deps = deps;
    this.desired = deps.pod;
    this.ref = podRefOf(deps.pod);
    this.uid = this.ref.uid;
    this.inheritedStatus = isPodTerminal(deps.pod) ? deps.pod.status : undefined;
    this.startTime = deps.pod.status?.startTime;
    this.ctx = {
      ref: this.ref,
      uid: this.uid,
      deps,
      signal: this.abort.signal,
      pod: () => this.desired,
      terminating: () => this.terminating !== undefined,
      event: (type, reason, message) => this.deps.onEvent?.(type, reason, message),
      kick: () => this.kick(),
      graceMs: () => this.graceMs(),
    };
    this.applySpec(deps.pod);
  }

  /** The latest desired pod. */
  get pod(): Pod {
    return this.desired;
  }

  get isTerminating(): boolean {
    return this.terminating !== undefined;
  }

  /** Starts working on the pod. */
  start(): void {
    this.kick();
  }

  /** A new desired version; coalesced with any pending one. A set `deletionTimestamp` terminates gracefully. */
  update(pod: Pod): void {
    if (this.terminating) return; // a kill sticks
    this.desired = pod;
    if (pod.metadata.deletionTimestamp !== undefined) {
      const seconds =
        pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
      this.terminate(seconds * 1000, 'deleted');
      return;
    }
    this.applySpec(pod);
    this.kick();
  }

  /** Stops every container (grace first) and removes them. A second call may only shorten the grace. */
  terminate(graceMs: number, reason: TerminationReason): void {
    if (this.terminating) {
      if (graceMs < this.terminating.graceMs) {
        this.terminating.graceMs = graceMs;
        shortenGrace(this.slots.values(), graceMs, this.deps.logger);
      }
      return;
    }
    this.terminating = { graceMs, reason };
    this.abort.abort();
    quietContainers(this.slots.values());
    this.kick();
  }

  /** True when `containerId` is one of this pod's current instances. */
  ownsContainer(containerId: string): boolean {
    for (const slot of this.slots.values()) if (slot.instance?.id === containerId) return true;
    return false;
  }

  /** Something happened to one of the containers (exit event, probe result): re-sync. */
  notify(): void {
    this.kick();
  }

  /**
   * Overrides a container's readiness (undefined = as if it had no readiness probe). The node's own
   * probes report through the probe listener of each instance; this is for callers outside the worker.
   */
  setContainerReadiness(container: string, ready: boolean | undefined): void {
    const slot = this.slots.get(container);
    if (!slot || slot.readiness === ready) return;
    slot.readiness = ready;
    this.deps.onStatus();
  }

  /** The running instance of `container` (default: the pod's first container), for exec; undefined when none runs. */
  runningInstance(container?: string): { runtime: Runtime; id: string; name: string } | undefined {
    if (this.terminating) return undefined;
    const slot = container === undefined ? [...this.slots.values()][0] : this.slots.get(container);
    const inst = slot?.instance;
    return inst && slot ? { runtime: inst.runtime, id: inst.id, name: slot.spec.name } : undefined;
  }

  /**
   * The pod's own IP as its runtime's network gives it (containers on a pod bridge); undefined for
   * in-process and host-network containers, or while none of its containers exists.
   */
  podIP(): string | undefined {
    return podIPOf(this.slots.values());
  }

  /** The running container serving `targetPort` (a number, or a named containerPort); also while draining. */
  localTarget(targetPort: number | string): LocalTarget {
    if (this.drain.stopping)
      return { ok: false, reason: 'not-running', message: `pod ${this.ref.namespace}/${this.ref.name} is terminating` };
    const target = findLocalTarget([...this.slots.values()], this.ref, targetPort);
    if (!target.ok) return target;
    this.drain.served();
    // The pod's own deadline, for a container port (a Wasm container took it when it was created).
    const podTimeoutMs = podRequestTimeoutMs(this.desired.metadata.annotations);
    return podTimeoutMs === undefined ? target : { ...target, podTimeoutMs };
  }

  /** Restart count of a container's current instance (logs pick their file from it). */
  restartCountOf(container: string): number | undefined {
    return this.slots.get(container)?.restartCount;
  }

  /** Names of the pod's containers, in spec order. */
  containerNames(): string[] {
    return [...this.slots.keys()];
  }

  /** The current status (conditions keep their transition times across calls). */
  status(): PodStatus {
    if (this.inheritedStatus) return { ...this.inheritedStatus, hostIP: this.deps.node.hostIP };
    const view: PodView = {
      restartPolicy: this.desired.spec.restartPolicy ?? 'Always',
      containers: [...this.slots.values()].map((s) => s.view(this.runtime?.name)),
      hostIP: this.deps.node.hostIP,
    };
    if (this.failure) view.failure = this.failure;
    if (this.startTime !== undefined) view.startTime = this.startTime;
    if (this.desired.metadata.generation !== undefined) view.observedGeneration = this.desired.metadata.generation;
    this.lastStatus = computePodStatus(view, this.lastStatus, rfc3339(this.deps.clock.now()));
    return this.lastStatus;
  }

  /** Resolves once the sync loop is idle (tests, orderly shutdown). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /**
   * Evicts the pod (an emptyDir over its `sizeLimit`, as the kubelet does): its containers are stopped
   * and it ends `Failed` with reason `Evicted`; nothing starts again.
   */
  evict(message: string): void {
    if (this.terminating || this.evicted) return;
    this.evicted = true;
    this.failure = { reason: 'Evicted', message };
    this.deps.onEvent?.('Warning', 'Evicted', message);
    quietContainers(this.slots.values());
    this.kick();
  }

  /** True once the pod was evicted. */
  get isEvicted(): boolean {
    return this.evicted;
  }

  /** Cancels timers without touching containers (agent stop: workloads are restarted from local state). */
  detach(): void {
    this.abort.abort();
    quietContainers(this.slots.values());
    this.terminated = true;
  }

  // ---- the sync loop -------------------------------------------------------------------------

  private kick(): void {
    this.dirty = true;
    if (this.loop) return;
    this.loop = this.runLoop().finally(() => {
      this.loop = undefined;
    });
  }

  // Concurrency contract: only this loop calls the runtime for this pod (besides a grace-shortening
  // stop), and it re-runs while `dirty` was set during a pass, so no update or event is lost.
  private async runLoop(): Promise<void> {
    while (this.dirty && !this.terminated) {
      this.dirty = false;
      try {
        await this.syncOnce();
      } catch (err) {
        this.deps.logger.error({ pod: this.ref, err: errorMessage(err) }, 'pod sync failed');
      }
      this.deps.onStatus();
    }
  }

  private applySpec(pod: Pod): void {
    const runtimeName = defaultRuntimeClass(pod.spec);
    for (const c of pod.spec.containers) {
      let slot = this.slots.get(c.name);
      if (!slot) {
        slot = new ContainerSlot(c, this.deps.backoff);
        this.slots.set(c.name, slot);
      }
      slot.spec = c;
      slot.hash = containerSpecHash(c, runtimeName);
    }
  }

  private async syncOnce(): Promise<void> {
    if (this.terminating) {
      // A Service's endpoint settles first: nodes may route to it until they learn of the deletion.
      const settleMs = this.deps.backsService?.() === true ? this.drain.quietMs : 0;
      const spent = await this.drain.wait(() => this.terminating!.graceMs, settleMs);
      await killContainers(this.ctx, this.slots.values(), Math.max(0, this.terminating.graceMs - spent));
      await this.deps.config
        ?.podGone(this.uid)
        .catch((err: unknown) => this.deps.logger.warn({ err: errorMessage(err) }, 'removing pod volumes failed'));
      this.terminated = true;
      this.deps.onTerminated(this.terminating.reason);
      return;
    }
    if (this.inheritedStatus) return;
    if (this.evicted) {
      await killContainers(this.ctx, this.slots.values(), this.graceMs());
      for (const slot of this.slots.values()) slot.finished = true;
      return;
    }
    // Level-triggered: every pass brings projected volumes up to date with their ConfigMaps and Secrets.
    if (this.deps.config && (this.desired.spec.volumes?.length ?? 0) > 0)
      await this.deps.config
        .syncVolumes(this.desired)
        .catch((err: unknown) => this.deps.logger.warn({ err: errorMessage(err) }, 'volume sync failed'));
    const runtimeName = defaultRuntimeClass(this.desired.spec);
    this.runtime = this.deps.runtimes.get(runtimeName);
    if (!this.runtime) {
      const available = [...this.deps.runtimes.keys()].join(', ') || 'none';
      this.failure = {
        reason: 'UnsupportedRuntime',
        message: `node ${this.deps.node.nodeName} has no runtime "${runtimeName}" (available: ${available})`,
      };
      for (const slot of this.slots.values())
        slot.state = { waiting: { reason: 'UnsupportedRuntime', message: this.failure.message } };
      return;
    }
    this.failure = undefined;
    this.startTime ??= rfc3339(this.deps.clock.now());
    for (const slot of this.slots.values()) {
      if (this.terminating) return;
      // A container that exited while being started is looked at again in another pass.
      if (await syncContainer(this.ctx, slot, this.runtime)) this.dirty = true;
    }
  }

  private graceMs(): number {
    return (this.desired.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
  }
}
