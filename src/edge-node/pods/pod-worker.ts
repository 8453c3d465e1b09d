/**
 * One worker per pod, as in the kubelet: the latest desired spec is kept, updates are coalesced into
 * one serial sync loop (never two runtime operations for the same pod at once), a kill sticks (once
 * terminating, nothing starts again), and every step is reflected in the reported status.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { defaultRuntimeClass, errorMessage, isPodTerminal, rfc3339 } from '../../api/index.js';
import type { Clock, ContainerRuntimeStatus, Logger, Pod, PodStatus, Runtime } from '../../api/index.js';
import { buildContainerConfig, containerSpecHash, newContainerId, type NodeFacts } from './container-config.js';
import { ContainerSlot, type RestartBackoffOptions } from './container-slot.js';
import { findLocalTarget, type LocalTarget } from './local-target.js';
import { crashLoopState, pullFailedState, raceAbort, restartWanted, terminatedState } from './lifecycle.js';
import { computePodStatus, type PodView } from './pod-status.js';
import { podRefOf, type PodKey } from './pod-ref.js';

/** Why a worker terminates: `deleted` = graceful deletion (report `podGone`), `removed` = dropped from the desired set. */
export type TerminationReason = 'deleted' | 'removed';
export type { LocalTarget };

/** Dependencies of a pod worker. */
export interface PodWorkerDeps {
  pod: Pod;
  runtimes: ReadonlyMap<string, Runtime>;
  node: NodeFacts;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  backoff: RestartBackoffOptions;
  /** The pod's status may have changed. */
  onStatus(): void;
  /** Every container is stopped and removed; the worker is done. */
  onTerminated(reason: TerminationReason): void;
  /** Records an Event about the pod (Pulled, Created, Started, Killing, BackOff, Failed …). */
  onEvent?(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

const DEFAULT_GRACE_SECONDS = 30;

/** Runs one pod. Created by `PodWorkers`; driven by `update`, `terminate` and container events. */
export class PodWorker {
  readonly uid: string;
  readonly ref: PodKey;
  private desired: Pod;
  private readonly deps: PodWorkerDeps;
  private readonly slots = new Map<string, ContainerSlot>();
  private runtime: Runtime | undefined;
  private failure: { reason: string; message: string } | undefined;
  /** A pod already terminal when assigned is only reported, never run again. */
  private readonly inheritedStatus: PodStatus | undefined;
  private terminating: { graceMs: number; reason: TerminationReason } | undefined;
  private terminated = false;
  private readonly abort = new AbortController();
  private dirty = false;
  private loop: Promise<void> | undefined;
  private startTime: string | undefined;
  private lastStatus: PodStatus | undefined;

  constructor(deps: PodWorkerDeps) {
    this.deps = deps;
    this.desired = deps.pod;
    this.ref = podRefOf(deps.pod);
    this.uid = this.ref.uid;
    this.inheritedStatus = isPodTerminal(deps.pod) ? deps.pod.status : undefined;
    this.startTime = deps.pod.status?.startTime;
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
      const seconds = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
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
        // An in-flight stop keeps its grace; ask again with the shorter one (stop is idempotent).
        for (const slot of this.slots.values()) {
          const inst = slot.instance;
          if (inst) inst.runtime.stopContainer(inst.id, graceMs).catch((err: unknown) => this.deps.logger.warn({ err: errorMessage(err) }, 'stop failed'));
        }
      }
      return;
    }
    this.terminating = { graceMs, reason };
    this.abort.abort();
    for (const slot of this.slots.values()) slot.cancelRetry();
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

  /** Seam for a probe manager: a container's readiness (undefined = no probe, ready while running). */
  setContainerReadiness(container: string, ready: boolean | undefined): void {
    const slot = this.slots.get(container);
    if (!slot || slot.readiness === ready) return;
    slot.readiness = ready;
    this.deps.onStatus();
  }

  /** The running container serving `targetPort` (a number, or a named containerPort). */
  localTarget(targetPort: number | string): LocalTarget {
    if (this.terminating) return { ok: false, reason: 'not-running', message: `pod ${this.ref.namespace}/${this.ref.name} is terminating` };
    return findLocalTarget([...this.slots.values()], this.ref, targetPort);
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

  /** Cancels timers without touching containers (agent stop: workloads are restarted from local state). */
  detach(): void {
    this.abort.abort();
    for (const slot of this.slots.values()) slot.cancelRetry();
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
      await this.killAll(this.terminating.graceMs);
      this.terminated = true;
      this.deps.onTerminated(this.terminating.reason);
      return;
    }
    if (this.inheritedStatus) return;
    const runtimeName = defaultRuntimeClass(this.desired.spec);
    this.runtime = this.deps.runtimes.get(runtimeName);
    if (!this.runtime) {
      const available = [...this.deps.runtimes.keys()].join(', ') || 'none';
      this.failure = { reason: 'UnsupportedRuntime', message: `node ${this.deps.node.nodeName} has no runtime "${runtimeName}" (available: ${available})` };
      for (const slot of this.slots.values()) slot.state = { waiting: { reason: 'UnsupportedRuntime', message: this.failure.message } };
      return;
    }
    this.failure = undefined;
    this.startTime ??= rfc3339(this.deps.clock.now());
    for (const slot of this.slots.values()) {
      if (this.terminating) return;
      await this.syncContainer(slot, this.runtime);
    }
  }

  private async syncContainer(slot: ContainerSlot, runtime: Runtime): Promise<void> {
    const inst = slot.instance;
    if (inst) {
      const st = inst.runtime.containerStatus(inst.id);
      if (st?.state === 'running' || st?.state === 'created') {
        if (inst.hash === slot.hash && inst.runtime === runtime) return;
        this.deps.logger.info({ pod: this.ref, container: slot.spec.name }, 'container definition changed, restarting');
        await inst.runtime.stopContainer(inst.id, this.graceMs()).catch(() => undefined);
        await this.recordExit(slot, inst.runtime.containerStatus(inst.id), { restartNow: true });
      } else {
        await this.recordExit(slot, st, {});
      }
    }
    if (slot.finished || slot.inBackoff || this.terminating) return;
    await this.startInstance(slot, runtime);
  }

  /** Records the end of the current instance, removes it, and decides on a restart. */
  private async recordExit(slot: ContainerSlot, st: ContainerRuntimeStatus | undefined, opts: { restartNow?: boolean }): Promise<void> {
    const inst = slot.instance;
    if (!inst) return;
    const now = this.deps.clock.now();
    const terminated = terminatedState(st, inst, now);
    await inst.runtime.removeContainer(inst.id).catch((err: unknown) => this.deps.logger.warn({ err: errorMessage(err) }, 'remove failed'));
    slot.instance = undefined;
    const restart = opts.restartNow === true || restartWanted(this.desired.spec.restartPolicy ?? 'Always', terminated.exitCode);
    if (!restart || this.terminating) {
      slot.state = { terminated };
      slot.finished = true;
      return;
    }
    slot.lastState = { terminated };
    if (opts.restartNow) return;
    if (inst.startedAtMs !== undefined && now - inst.startedAtMs >= this.deps.backoff.resetAfterMs) slot.restartBackoff.reset();
    const delay = slot.restartBackoff.next();
    if (delay === 0) {
      slot.state = { terminated }; // restarted at once: reported as terminated until it runs again
    } else {
      slot.state = crashLoopState(delay, slot.spec.name, this.ref);
      this.event('Warning', 'BackOff', `Back-off restarting failed container ${slot.spec.name} (${terminated.reason ?? 'exit'} ${terminated.exitCode})`);
    }
    slot.scheduleRetry(delay, () => this.kick());
  }

  private async startInstance(slot: ContainerSlot, runtime: Runtime): Promise<void> {
    const log = this.deps.logger;
    if (!slot.image || slot.imageRef !== slot.spec.image) {
      if (slot.pullFailures === 0) slot.state = { waiting: { reason: 'ContainerCreating' } };
      try {
        const pullStart = this.deps.clock.now();
        slot.image = await raceAbort(runtime.pullImage(slot.spec.image, { signal: this.abort.signal }), this.abort.signal);
        slot.imageRef = slot.spec.image;
        this.event('Normal', 'Pulled', `Container image "${slot.spec.image}" ready in ${this.deps.clock.now() - pullStart}ms`);
        slot.pullFailures = 0;
        slot.pullBackoff.reset();
      } catch (err) {
        if (this.terminating) return;
        slot.pullFailures += 1;
        const delay = slot.pullBackoff.next();
        const msg = errorMessage(err);
        slot.state = pullFailedState(slot.pullFailures, delay, slot.spec.image, msg);
        this.event('Warning', 'Failed', `Failed to pull image "${slot.spec.image}": ${msg}`);
        log.warn({ pod: this.ref, container: slot.spec.name, image: slot.spec.image, err: msg }, 'image pull failed');
        slot.scheduleRetry(delay, () => this.kick());
        return;
      }
      this.deps.onStatus();
    }
    if (this.terminating) return;
    const id = newContainerId(this.uid, slot.spec.name);
    const config = buildContainerConfig({
      id, pod: this.desired, podRef: this.ref, container: slot.spec, image: slot.image, node: this.deps.node, dataDir: this.deps.dataDir, restartCount: slot.starts,
    });
    try {
      await mkdir(path.dirname(config.logPath), { recursive: true });
      await runtime.createContainer(config);
    } catch (err) {
      await runtime.removeContainer(id).catch(() => undefined);
      const delay = slot.restartBackoff.next();
      slot.state = { waiting: { reason: 'CreateContainerError', message: errorMessage(err) } };
      this.event('Warning', 'Failed', `Error: ${errorMessage(err)}`);
      log.warn({ pod: this.ref, container: slot.spec.name, err: errorMessage(err) }, 'create container failed');
      slot.scheduleRetry(delay, () => this.kick());
      return;
    }
    // Recorded before start so a termination arriving meanwhile finds (and stops) it.
    slot.instance = { id, runtime, hash: slot.hash };
    slot.lastContainerId = id;
    try {
      await runtime.startContainer(id);
    } catch (err) {
      slot.starts += 1;
      await this.recordExit(slot, { id, state: 'exited', exitCode: 128, reason: 'StartError', message: errorMessage(err) }, {});
      return;
    }
    const now = this.deps.clock.now();
    slot.instance.startedAtMs = now;
    slot.instance.startedAt = rfc3339(now);
    slot.starts += 1;
    slot.state = { running: { startedAt: slot.instance.startedAt } };
    this.event('Normal', 'Started', `Started container ${slot.spec.name}`);
    // The container may have exited already (its event came while we were awaiting): look again.
    const st = runtime.containerStatus(id);
    if (st?.state === 'exited') this.dirty = true;
  }

  private async killAll(graceMs: number): Promise<void> {
    await Promise.all(
      [...this.slots.values()].map(async (slot) => {
        slot.cancelRetry();
        const inst = slot.instance;
        if (!inst) return;
        this.event('Normal', 'Killing', `Stopping container ${slot.spec.name}`);
        await inst.runtime.stopContainer(inst.id, graceMs).catch((err: unknown) => this.deps.logger.warn({ err: errorMessage(err) }, 'stop failed'));
        await this.recordExit(slot, inst.runtime.containerStatus(inst.id), {});
      }),
    );
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.deps.onEvent?.(type, reason, message);
  }

  private graceMs(): number {
    return (this.desired.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS) * 1000;
  }
}

