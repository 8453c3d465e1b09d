/**
 * The set of pod workers (the kubelet's podWorkers): reconciles the desired pod set level-triggered,
 * routes runtime events to the owning worker, persists assignments to local state, and hands status
 * changes to the batched reports (status-reports.ts: only pods whose status changed, unless a full
 * report is asked for; a Ready flip goes on the next turn, since traffic waits for it).
 */
import { errorMessage } from '../../api/index.js';
import type { Clock, Logger, Pod, PodRef, PodStatus, Runtime } from '../../api/index.js';
import type { LocalPods } from '../mesh/index.js';
import { ProbeManager } from '../probes/index.js';
import type { LocalState } from '../state/local-state.js';
import type { NodeFacts } from './container-config.js';
import type { PodConfigSource } from './worker-context.js';
import { DEFAULT_RESTART_BACKOFF, type RestartBackoffOptions } from './container-slot.js';
import { podRefOf } from './pod-ref.js';
import { PodWorker, type TerminationReason } from './pod-worker.js';
import { StatusReports } from './status-reports.js';

/** Dependencies of the pod workers. */
export interface PodWorkersDeps {
  runtimes: readonly Runtime[];
  node: NodeFacts;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  state: LocalState;
  backoff?: Partial<RestartBackoffOptions>;
  /** The mesh's registry of the node's pods: each worker is added while it exists (absent without a mesh). */
  localPods?: LocalPods;
  /** Runs the containers' probes (default: one on real timers). */
  probes?: ProbeManager;
  /** Env vars the node adds to a container about to be created (see `PodWorkerDeps.serviceEnv`). */
  serviceEnv?(pod: Pod, runtime: Runtime): Promise<Record<string, string>>;
  /** ConfigMaps, Secrets and volumes of the pods. */
  config?: PodConfigSource & { affects(pod: Pod, keys: ReadonlySet<string>): boolean };
  /** Interval of the emptyDir `sizeLimit` check (default 10 s). */
  volumeCheckMs?: number;
  /** Delay that coalesces status changes into one report (default 50 ms); a Ready flip does not wait. */
  statusBatchMs?: number;
  /** Sends a status report; returns false when it could not be sent (no hub session). */
  reportStatus(pods: Array<{ pod: PodRef; status: PodStatus }>): boolean;
  /** Gracefully deleted pods are gone: the hub may forget them. */
  reportGone(pods: PodRef[]): void;
  /** Something happened to a pod worth an Event (best effort: dropped while the hub is away). */
  reportEvent?(pod: PodRef, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** Owner of every pod worker on the node. */
export class PodWorkers {
  private readonly deps: PodWorkersDeps;
  private readonly runtimes: ReadonlyMap<string, Runtime>;
  private readonly backoff: RestartBackoffOptions;
  private readonly probes: ProbeManager;
  private readonly workers = new Map<string, PodWorker>();
  /** Pods the hub wants again while their previous worker still terminates (started once it is done). */
  private readonly revive = new Map<string, Pod>();
  private readonly reports: StatusReports;
  /** resourceVersion last written per pod: a full sync does not rewrite unchanged pods. */
  private readonly savedVersion = new Map<string, string>();
  private readonly unsubscribes: Array<() => void> = [];
  private readonly removedListeners = new Set<(uid: string) => void>();
  private stopped = false;
  private readonly volumeCheck: NodeJS.Timeout | undefined;
  private checkingVolumes = false;

  constructor(deps: PodWorkersDeps) {
    this.deps = deps;
    this.runtimes = new Map(deps.runtimes.map((r) => [r.name, r]));
    this.backoff = { ...DEFAULT_RESTART_BACKOFF, ...deps.backoff };
    this.probes = deps.probes ?? new ProbeManager({ logger: deps.logger.child({ component: 'probes' }) });
    this.reports = new StatusReports({
      logger: deps.logger,
      state: deps.state,
      statusBatchMs: deps.statusBatchMs,
      reportStatus: (pods) => deps.reportStatus(pods),
      worker: (uid) => this.workers.get(uid),
    });
    for (const r of deps.runtimes) {
      this.unsubscribes.push(r.subscribe((ev) => this.onContainerEvent(ev.status.id)));
    }
    if (deps.config) {
      this.volumeCheck = setInterval(() => void this.checkVolumes(), deps.volumeCheckMs ?? 10_000);
      this.volumeCheck.unref();
    }
  }

  /** ConfigMaps/Secrets changed (`kind/namespace/name` keys): the pods that use them sync again. */
  configChanged(keys: ReadonlySet<string>): void {
    for (const w of this.workers.values()) if (this.deps.config?.affects(w.pod, keys)) w.notify();
  }

  /** Evicts pods whose emptyDirs passed their `sizeLimit` (one check at a time). */
  private async checkVolumes(): Promise<void> {
    if (this.checkingVolumes || this.stopped || !this.deps.config) return;
    this.checkingVolumes = true;
    try {
      for (const w of this.workers.values()) {
        if (w.isTerminating || w.isEvicted || !w.pod.spec.volumes?.some((v) => v.emptyDir?.sizeLimit)) continue;
        const over = await this.deps.config.overLimit(w.pod).catch(() => undefined);
        if (over !== undefined) w.evict(over);
      }
    } finally {
      this.checkingVolumes = false;
    }
  }

  /** The whole desired set: pods not in it are stopped now, missing ones started, changed ones updated. */
  sync(pods: Pod[]): void {
    const wanted = new Map(pods.map((p) => [podRefOf(p).uid, p]));
    for (const [uid, w] of this.workers) if (!wanted.has(uid)) w.terminate(0, 'removed');
    for (const pod of wanted.values()) this.upsert(pod);
    // Containers an earlier agent run left (issue 20) for pods no longer wanted here go.
    for (const r of this.deps.runtimes) void r.releaseUnadopted?.(new Set(wanted.keys()));
  }

  /** One pod added or changed. */
  upsert(pod: Pod): void {
    if (this.stopped) return;
    const uid = podRefOf(pod).uid;
    const existing = this.workers.get(uid);
    if (existing?.isTerminating) {
      if (pod.metadata.deletionTimestamp === undefined) this.revive.set(uid, pod);
      else existing.update(pod);
      return;
    }
    const rv = pod.metadata.resourceVersion;
    if (rv === undefined || this.savedVersion.get(uid) !== rv) {
      if (rv !== undefined) this.savedVersion.set(uid, rv);
      void this.deps.state.savePod(pod);
    }
    if (existing) {
      existing.update(pod);
      return;
    }
    const serviceEnv = this.deps.serviceEnv?.bind(this.deps);
    const worker = new PodWorker({
      pod,
      runtimes: this.runtimes,
      node: this.deps.node,
      dataDir: this.deps.dataDir,
      clock: this.deps.clock,
      logger: this.deps.logger.child({ pod: `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}` }),
      backoff: this.backoff,
      probes: this.probes,
      ...(serviceEnv ? { serviceEnv: (p: Pod, runtime: Runtime) => serviceEnv(p, runtime) } : {}),
      ...(this.deps.config ? { config: this.deps.config } : {}),
      backsService: () => this.deps.localPods?.backsService(uid) === true,
      onStatus: () => this.reports.markDirty(uid),
      onTerminated: (reason) => this.onTerminated(worker, reason),
      onEvent: (type, reason, message) => this.deps.reportEvent?.(worker.ref, type, reason, message),
    });
    this.workers.set(uid, worker);
    // Trace point (debug): when the pod reached this node (bench/hpa.ts times a cold start's stages).
    this.deps.logger.debug({ pod: `${worker.ref.namespace}/${worker.ref.name}` }, 'pod assigned');
    this.deps.localPods?.add(worker);
    if (pod.metadata.deletionTimestamp !== undefined) worker.update(pod);
    worker.start();
  }

  /** One pod removed from the desired set: stop it now. */
  delete(ref: PodRef): void {
    this.revive.delete(ref.uid);
    const w = this.workers.get(ref.uid);
    w?.terminate(0, 'removed');
  }

  /** Reports the status of every pod on the next flush (after a (re)connect). */
  reportAll(): void {
    this.reports.reportAll(this.workers.keys());
  }

  /** The worker of a (non-terminated) pod by namespace and name. */
  find(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.workers.values()) if (w.ref.namespace === namespace && w.ref.name === name) return w;
    return undefined;
  }

  /** The worker of a pod by uid. */
  get(uid: string): PodWorker | undefined {
    return this.workers.get(uid);
  }

  /** All current workers. */
  list(): PodWorker[] {
    return [...this.workers.values()];
  }

  /** Calls `listener(uid)` whenever a pod's worker is gone (log followers end then). */
  onPodRemoved(listener: (uid: string) => void): () => void {
    this.removedListeners.add(listener);
    return () => this.removedListeners.delete(listener);
  }

  /** Resolves when every worker is idle (tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.idle()));
  }

  /** Detaches from the workers without stopping containers (they come back from local state). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.reports.stop();
    if (this.volumeCheck) clearInterval(this.volumeCheck);
    for (const u of this.unsubscribes) u();
    for (const w of this.workers.values()) w.detach();
    this.probes.stop();
    await Promise.all([...this.workers.values()].map((w) => w.idle()));
    await this.deps.state.flush();
  }

  private onContainerEvent(containerId: string): void {
    for (const w of this.workers.values()) {
      if (w.ownsContainer(containerId)) {
        w.notify();
        return;
      }
    }
  }

  private onTerminated(worker: PodWorker, reason: TerminationReason): void {
    const uid = worker.uid;
    if (this.workers.get(uid) !== worker) return;
    this.workers.delete(uid);
    this.deps.localPods?.remove(worker);
    this.reports.forget(uid);
    this.savedVersion.delete(uid);
    void this.deps.state.deletePod(uid);
    if (reason === 'deleted') this.deps.reportGone([worker.ref]);
    for (const l of this.removedListeners) {
      try {
        l(uid);
      } catch (err) {
        this.deps.logger.warn({ err: errorMessage(err) }, 'pod removal listener failed');
      }
    }
    const again = this.revive.get(uid);
    this.revive.delete(uid);
    if (again && !this.stopped) this.upsert(again);
  }
}
