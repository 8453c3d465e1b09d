/** The node's pod workers as the usage sampler reads them. */
import type { Runtime } from '../../api/index.js';
import type { MeteredContainer, MeteredPod } from './usage-sampler.js';

/** What the sampler needs of a pod worker. */
export interface PodWorkerView {
  readonly ref: { namespace: string; name: string; uid: string };
  containerNames(): string[];
  runningInstance(container?: string): { runtime: Runtime; id: string; name: string } | undefined;
  restartCountOf(container: string): number | undefined;
}

/** A pod as the sampler and Prometheus read it. */
export interface MeteredWorkerPod extends MeteredPod {
  /** Each container's restart count. */
  restarts(): Array<{ container: string; count: number }>;
}

/** A pod worker as a {@link MeteredPod}: its containers with a running instance, and their restarts. */
export function meteredPod(w: PodWorkerView): MeteredWorkerPod {
  return {
    ref: w.ref,
    restarts: () => w.containerNames().map((container) => ({ container, count: w.restartCountOf(container) ?? 0 })),
    containers(): MeteredContainer[] {
      const out: MeteredContainer[] = [];
      for (const name of w.containerNames()) {
        const inst = w.runningInstance(name);
        if (inst) out.push({ name, runtime: inst.runtime, id: inst.id });
      }
      return out;
    },
  };
}
