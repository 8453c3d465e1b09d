/**
 * Collects blobs nothing refers to. A blob is kept while any Pod, or any pod template of a ReplicaSet,
 * Deployment, DaemonSet or Job, names it as an image (`edgeplane.hub/<name>@sha256:<hex>`), and for a
 * grace period after its last upload whatever refers to it — `edgectl apply` uploads a component first
 * and writes the object that refers to it after, and the collector must not fall between the two.
 * Old ReplicaSets kept for `rollout undo` are ReplicaSets too, so a rollback finds its image.
 *
 * Level-triggered: each sweep compares what is stored with what the objects refer to now (from the
 * informer caches, no store scans), so a missed sweep is healed by the next.
 */
import type { Clock, KubeObject, Logger } from '../../api/index.js';
import { parseHubImageRef } from '../../api/index.js';
import { PeriodicSweep } from '../reconcile/index.js';
import type { BlobStore } from './blob-store.js';
import type { StoredBlob } from './blob-types.js';

/** Default grace period of a blob after its last upload: 1 h. */
export const DEFAULT_BLOB_GC_GRACE_SECONDS = 3600;

/** Dependencies and tunables of the collector. */
export interface BlobGarbageCollectorDeps {
  blobs: BlobStore;
  /** Every object that may refer to images (pods and workloads), read when a sweep runs. */
  objects: () => Iterable<KubeObject>;
  clock: Clock;
  logger: Logger;
  /** Seconds after its last upload during which an unreferenced blob is kept. */
  graceSeconds?: number;
  /** Time between sweeps (default: half the grace period, between 10 s and 10 min). */
  intervalMs?: number;
}

interface ContainerLike {
  image?: unknown;
}
interface PodSpecLike {
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
}

/** The image references in an object: a Pod's containers, or its pod template's. */
export function imagesOf(obj: KubeObject): string[] {
  const spec = (obj as { spec?: { containers?: unknown; template?: { spec?: PodSpecLike } } }).spec;
  const podSpec: PodSpecLike | undefined = spec && 'containers' in spec ? (spec as PodSpecLike) : spec?.template?.spec;
  const out: string[] = [];
  for (const c of [...(podSpec?.containers ?? []), ...(podSpec?.initContainers ?? [])])
    if (typeof c.image === 'string') out.push(c.image);
  return out;
}

/** Deletes unreferenced blobs past their grace period, periodically. */
export class BlobGarbageCollector {
  readonly #deps: BlobGarbageCollectorDeps;
  readonly #graceMs: number;
  readonly #sweeper: PeriodicSweep<StoredBlob[]>;

  constructor(deps: BlobGarbageCollectorDeps) {
    this.#deps = deps;
    this.#graceMs = (deps.graceSeconds ?? DEFAULT_BLOB_GC_GRACE_SECONDS) * 1000;
    this.#sweeper = new PeriodicSweep({
      run: () => this.#sweep(),
      intervalMs: deps.intervalMs ?? Math.min(600_000, Math.max(10_000, this.#graceMs / 2)),
      logger: deps.logger,
      failureMessage: 'blob garbage collection failed; retrying next interval',
    });
  }

  /** Starts sweeping: first after one interval, then every interval. */
  start(): void {
    this.#sweeper.start();
  }

  /** Stops sweeping; resolves once a sweep under way has ended. */
  stop(): Promise<void> {
    return this.#sweeper.stop();
  }

  /** Runs one sweep now (joins one already running); resolves with the blobs deleted. */
  sweep(): Promise<StoredBlob[]> {
    return this.#sweeper.sweep();
  }

  async #sweep(): Promise<StoredBlob[]> {
    const { blobs, objects, clock, logger } = this.#deps;
    // The grace cutoff is taken before the references are read: a blob uploaded after this instant is
    // kept whatever the (possibly older) references say.
    const cutoff = clock.now() - this.#graceMs;
    const keep = new Set<string>();
    for (const o of objects())
      for (const image of imagesOf(o)) {
        const ref = parseHubImageRef(image);
        if (ref) keep.add(ref.digest);
      }
    const removed = await blobs.collect(keep, cutoff);
    if (removed.length > 0) {
      logger.info(
        { blobs: removed.length, bytes: removed.reduce((a, b) => a + b.size, 0), usedBytes: blobs.usedBytes },
        'unreferenced blobs collected',
      );
    }
    return removed;
  }
}
