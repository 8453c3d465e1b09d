/**
 * Writes what nodes report about their pods: observed status, and the final deletion of pods a node
 * has stopped. Writes for one pod are chained so two reports of the same pod never race each other.
 */
import type { Pod, PodStatus } from '../../api/index.js';
import { ConflictError, NotFoundError, typeByKind } from '../../api/index.js';
import { jsonEqual } from '../reconcile/index.js';
import type { Informer } from '../informers/index.js';
import type { ObjectAPI } from '../registry/index.js';

const POD = typeByKind('v1', 'Pod')!;

export class PodWriter {
  /** Per-pod write chains. */
  private readonly podWrites = new Map<string, Promise<void>>();

  constructor(
    private readonly api: ObjectAPI,
    private readonly pods: Informer<Pod>,
  ) {}

  private serialize(key: string, fn: () => Promise<void>): Promise<void> {
    const next = (this.podWrites.get(key) ?? Promise.resolve()).then(fn, fn);
    const tracked = next.finally(() => {
      if (this.podWrites.get(key) === tracked) this.podWrites.delete(key);
    });
    this.podWrites.set(key, tracked);
    return next;
  }

  /** Writes the status a node reported for one of its own pods (retrying on conflicts). */
  writeStatus(node: string, ref: { namespace: string; name: string; uid: string }, status: PodStatus): Promise<void> {
    return this.serialize(`${ref.namespace}/${ref.name}`, async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const pod =
          attempt === 0
            ? this.pods.get(ref.namespace, ref.name)
            : await this.api.get<Pod>(POD, ref.namespace, ref.name).catch(() => undefined);
        // A node may only report its own pods, and only the incarnation it runs.
        if (!pod || pod.metadata.uid !== ref.uid || pod.spec.nodeName !== node) return;
        if (jsonEqual(pod.status, status)) return;
        try {
          // No spec: a status write keeps the stored one, and the registry need not validate it again.
          const { apiVersion, kind, metadata } = pod;
          const updated = await this.api.updateStatus<Pod>(POD, { apiVersion, kind, metadata, status });
          this.pods.observe(updated);
          return;
        } catch (err) {
          if (err instanceof NotFoundError) return;
          if (!(err instanceof ConflictError)) throw err;
        }
      }
    });
  }

  /** Deletes a gracefully deleted pod once its node reports it gone. */
  finalize(node: string, ref: { namespace: string; name: string; uid: string }): Promise<void> {
    return this.serialize(`${ref.namespace}/${ref.name}`, async () => {
      const pod = this.pods.get(ref.namespace, ref.name);
      if (!pod || pod.metadata.uid !== ref.uid || pod.spec.nodeName !== node || !pod.metadata.deletionTimestamp) return;
      try {
        await this.api.delete(POD, ref.namespace, ref.name, { gracePeriodSeconds: 0, preconditions: { uid: ref.uid } });
        this.pods.observe(pod, true);
      } catch (err) {
        if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
      }
    });
  }
}
