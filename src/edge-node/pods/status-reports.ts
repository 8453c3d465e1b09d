/**
 * The node's pod status reports: which pods changed since the last report, batching them over a short
 * window (a Ready flip goes on the next turn instead: traffic waits for it), sending only statuses
 * that differ from the last one sent (unless a full report is asked for), and persisting a pod with
 * its status when its phase moves. Split from pod-workers.ts, which owns the workers.
 */
import type { Logger, PodRef, PodStatus } from '../../api/index.js';
import type { LocalState } from '../state/local-state.js';
import type { PodWorker } from './pod-worker.js';

/** What the reports need of the node. */
export interface StatusReportsDeps {
  logger: Logger;
  state: LocalState;
  /** Delay that coalesces status changes into one report (default 50 ms); a Ready flip does not wait. */
  statusBatchMs?: number | undefined;
  /** Sends a status report; returns false when it could not be sent (no hub session). */
  reportStatus(pods: Array<{ pod: PodRef; status: PodStatus }>): boolean;
  /** The current worker of a pod (by uid). */
  worker(uid: string): PodWorker | undefined;
}

/** Status reports of the node's pods. */
export class StatusReports {
  readonly #deps: StatusReportsDeps;
  readonly #lastSent = new Map<string, string>();
  /** Pods whose last status sent was Ready. */
  readonly #readySent = new Set<string>();
  readonly #persistedPhase = new Map<string, string>();
  readonly #dirty = new Set<string>();
  #forceAll = false;
  #flushTimer: NodeJS.Timeout | undefined;
  /** The pending flush runs on the next turn (a Ready flip), not after the batch window. */
  #flushSoon = false;
  #stopped = false;

  constructor(deps: StatusReportsDeps) {
    this.#deps = deps;
  }

  /** A pod's status may have changed: it is looked at on the next flush. */
  markDirty(uid: string): void {
    if (this.#stopped) return;
    this.#dirty.add(uid);
    const w = this.#deps.worker(uid);
    this.#scheduleFlush(w !== undefined && isReady(w.status()) !== this.#readySent.has(uid));
  }

  /** Reports the status of every pod in `uids` on the next flush, changed or not (after a (re)connect). */
  reportAll(uids: Iterable<string>): void {
    this.#forceAll = true;
    for (const uid of uids) this.#dirty.add(uid);
    this.#scheduleFlush();
  }

  /** The pod's worker is gone: nothing more is reported of it. */
  forget(uid: string): void {
    this.#lastSent.delete(uid);
    this.#readySent.delete(uid);
    this.#persistedPhase.delete(uid);
    this.#dirty.delete(uid);
  }

  /** No more reports (the agent stops). */
  stop(): void {
    this.#stopped = true;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
  }

  /** Flushes after the batch window, or on the next turn when `soon` (what one turn changed still goes together). */
  #scheduleFlush(soon = false): void {
    if (this.#stopped || (this.#flushTimer && (this.#flushSoon || !soon))) return;
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushSoon = soon;
    this.#flushTimer = setTimeout(
      () => {
        this.#flushTimer = undefined;
        this.#flushSoon = false;
        this.#flush();
      },
      soon ? 0 : (this.#deps.statusBatchMs ?? 50),
    );
  }

  #flush(): void {
    const force = this.#forceAll;
    const batch: Array<{ pod: PodRef; status: PodStatus; key: string }> = [];
    for (const uid of this.#dirty) {
      const w = this.#deps.worker(uid);
      if (!w) continue;
      const status = w.status();
      const key = JSON.stringify(status);
      this.#persistPhase(w, status);
      if (force || this.#lastSent.get(uid) !== key) batch.push({ pod: w.ref, status, key });
    }
    this.#dirty.clear();
    this.#forceAll = false;
    if (batch.length === 0) return;
    if (this.#deps.reportStatus(batch.map(({ pod, status }) => ({ pod, status })))) {
      for (const b of batch) {
        this.#lastSent.set(b.pod.uid, b.key);
        if (isReady(b.status)) this.#readySent.add(b.pod.uid);
        else this.#readySent.delete(b.pod.uid);
      }
      if (this.#deps.logger.isLevelEnabled('debug'))
        this.#deps.logger.debug({ pods: batch.map((b) => statusTrace(b.pod, b.status)) }, 'pod status sent');
    }
  }

  /** Stores the pod with its status when the phase moves, so a terminal pod is not re-run after a restart. */
  #persistPhase(w: PodWorker, status: PodStatus): void {
    const phase = status.phase ?? '';
    if (w.isTerminating || this.#persistedPhase.get(w.uid) === phase) return;
    this.#persistedPhase.set(w.uid, phase);
    void this.#deps.state.savePod({ ...w.pod, status });
  }
}

/** Whether a status has the Ready condition True. */
function isReady(status: PodStatus): boolean {
  return status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** `namespace/name phase[ ready]`: the trace of one reported status. */
function statusTrace(pod: PodRef, status: PodStatus): string {
  return `${pod.namespace}/${pod.name} ${status.phase ?? 'Unknown'}${isReady(status) ? ' ready' : ''}`;
}
