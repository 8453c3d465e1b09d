/**
 * The Job controller: runs pods to completion. Keeps up to `parallelism` pods active until
 * `completions` have succeeded; a failed pod is replaced (after a back-off) until `backoffLimit`
 * failures, then the Job fails; `activeDeadlineSeconds` bounds the whole run. A Wasm component
 * exporting `wasi:cli/run` is a natural Job.
 */
import type { Clock, Condition, Job, Logger, Pod } from '../../api/index.js';
import { errorMessage, isPodReady, rfc3339, typeByKind } from '../../api/index.js';
import type { Informer } from '../informers/index.js';
import { BY_CONTROLLER_UID, controllerUid, objectKey, splitKey } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import {
  BurstLimit,
  Controller,
  deleteAndObserve,
  jsonEqual,
  setCondition,
  throwIfFailed,
  writeAll,
  writeStatus,
} from '../reconcile/index.js';
import { podFromTemplate } from './pod-template.js';

const POD = typeByKind('v1', 'Pod')!;
const JOB = typeByKind('batch/v1', 'Job')!;

/** Most pods one reconcile creates, or deletes for a lower parallelism (Kubernetes' Job controller: 500). */
const BURST = 500;

export interface JobControllerDeps {
  api: ObjectAPI;
  jobs: Informer<Job>;
  pods: Informer<Pod>;
  events: EventRecorder;
  clock: Clock;
  logger: Logger;
  /** First delay before replacing a failed pod; doubles per failure up to 6 minutes (Kubernetes: 10 s). */
  failureBackoffMs?: number;
}

const finished = (job: Job): boolean =>
  job.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') ?? false;

/** Failures a pod contributed: a Failed pod counts once; with OnFailure, each container restart counts. */
function podFailures(p: Pod): number {
  const restarts = (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);
  return (p.status?.phase === 'Failed' ? 1 : 0) + (p.spec.restartPolicy === 'OnFailure' ? restarts : 0);
}

/** Runs each Job's pods to completion. */
export class JobController extends Controller {
  private readonly bursts = new BurstLimit(BURST);

  constructor(private readonly deps: JobControllerDeps) {
    super({ name: 'job', logger: deps.logger, clock: deps.clock });
    this.enqueueFrom(deps.jobs);
    this.enqueueOwnerOf(deps.pods, 'Job');
    deps.pods.addIndex(BY_CONTROLLER_UID, controllerUid);
  }

  /** Pods `job` controls (owner index: O(its pods)). */
  private ownedPods(job: Job): Pod[] {
    return this.deps.pods
      .byIndex(BY_CONTROLLER_UID, job.metadata.uid ?? '')
      .filter((p) => p.metadata.namespace === job.metadata.namespace);
  }

  /** Every Job. */
  protected initialKeys(): string[] {
    return this.deps.jobs.list().map(objectKey);
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const job = this.deps.jobs.get(namespace, name);
    if (!job || job.metadata.deletionTimestamp) {
      this.bursts.forget(key);
      return;
    }
    const pods = this.ownedPods(job);
    const active = pods.filter(
      (p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp,
    );
    const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length;
    const failed = pods.reduce((n, p) => n + podFailures(p), 0);
    const nowMs = this.deps.clock.now();
    const now = rfc3339(nowMs);
    const startTime = job.status?.startTime ?? now;
    const completions = job.spec.completions ?? 1;
    let conditions: Condition[] = job.status?.conditions ?? [];
    let completionTime = job.status?.completionTime;

    if (!finished(job)) {
      const deadline = job.spec.activeDeadlineSeconds;
      let failure: { reason: string; message: string } | undefined;
      if (failed > (job.spec.backoffLimit ?? 6))
        failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      else if (deadline !== undefined && Date.parse(startTime) + deadline * 1000 <= nowMs)
        failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      if (failure) {
        conditions = setCondition(conditions, { type: 'Failed', status: 'True', ...failure, lastProbeTime: now }, now);
        this.deps.events.warning(job, failure.reason, failure.message);
        throwIfFailed(await writeAll(active, (p) => this.deletePod(p)), `pod deletion(s) for Job ${key}`);
      } else if (succeeded >= completions) {
        conditions = setCondition(conditions, { type: 'Complete', status: 'True', lastProbeTime: now }, now);
        completionTime = now;
        this.deps.events.normal(job, 'Completed', 'Job completed');
      } else if (!job.spec.suspend) {
        const want = Math.min(job.spec.parallelism ?? 1, completions - succeeded);
        const missing = want - active.length;
        if (missing > 0) {
          const base = this.deps.failureBackoffMs ?? 10_000;
          const lastFailure = Math.max(
            0,
            ...pods.filter((p) => p.status?.phase === 'Failed').map((p) => Date.parse(terminatedAt(p) ?? startTime)),
          );
          const wait = failed === 0 ? 0 : lastFailure + Math.min(base * 2 ** (failed - 1), 360_000) - nowMs;
          if (wait > 0) this.queue.addAfter(key, wait);
          else {
            const size = Math.min(missing, this.bursts.size(key));
            const notCreated = await writeAll(Array.from({ length: size }), () => this.createPod(job));
            this.bursts.record(key, notCreated.length);
            throwIfFailed(notCreated, `pod creation(s) for Job ${key}`);
          }
        } else if (missing < 0) {
          throwIfFailed(
            await writeAll(active.slice(0, Math.min(-missing, BURST)), (p) => this.deletePod(p)),
            `pod deletion(s) for Job ${key}`,
          );
        }
        if (deadline !== undefined)
          this.queue.addAfter(key, Math.max(0, Date.parse(startTime) + deadline * 1000 - nowMs) + 50);
      }
    }
    const current = this.ownedPods(job).filter(
      (p) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
    const status = {
      active: current.length,
      succeeded,
      failed,
      ready: current.filter(isPodReady).length,
      startTime,
      ...(completionTime ? { completionTime } : {}),
      ...(conditions.length ? { conditions } : {}),
    };
    if (jsonEqual(job.status, status)) return;
    await writeStatus(this.deps.api, JOB, this.deps.jobs, { ...job, status });
  }

  private async createPod(job: Job): Promise<void> {
    const pod = podFromTemplate(job, job.spec.template, { labels: { 'job-name': job.metadata.name ?? '' } });
    try {
      const created = await this.deps.api.create<Pod>(POD, pod);
      this.deps.pods.observe(created);
      this.deps.events.normal(job, 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (err) {
      this.deps.events.warning(job, 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  }

  private async deletePod(pod: Pod): Promise<void> {
    await deleteAndObserve(this.deps.api, POD, this.deps.pods, pod);
  }
}

function terminatedAt(p: Pod): string | undefined {
  return p.status?.containerStatuses?.map((c) => c.state?.terminated?.finishedAt).find((t) => t !== undefined);
}
