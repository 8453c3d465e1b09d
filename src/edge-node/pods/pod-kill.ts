/**
 * Ending a pod's containers when the pod terminates: every running instance is stopped with the
 * pod's grace (and asked again when a second terminate shortens it), then its exit is recorded;
 * and quieting them first (no restart, no probe) once the pod is on its way out.
 */
import { errorMessage } from '../../api/index.js';
import type { Logger } from '../../api/index.js';
import { recordExit } from './container-exit.js';
import type { ContainerSlot } from './container-slot.js';
import type { WorkerContext } from './worker-context.js';

/** Stops every container of the pod (in parallel) with `graceMs` and records their exits. */
export async function killContainers(
  ctx: WorkerContext,
  slots: Iterable<ContainerSlot>,
  graceMs: number,
): Promise<void> {
  await Promise.all(
    [...slots].map(async (slot) => {
      slot.cancelRetry();
      const inst = slot.instance;
      if (!inst) return;
      ctx.event('Normal', 'Killing', `Stopping container ${slot.spec.name}`);
      await inst.runtime
        .stopContainer(inst.id, graceMs)
        .catch((err: unknown) => ctx.deps.logger.warn({ err: errorMessage(err) }, 'stop failed'));
      await recordExit(ctx, slot, inst.runtime.containerStatus(inst.id));
    }),
  );
}

/**
 * Asks every instance to stop again with a shorter grace: an in-flight stop keeps the grace it was
 * given, and stop is idempotent. Not awaited: the sync loop's kill records the exits.
 */
export function shortenGrace(slots: Iterable<ContainerSlot>, graceMs: number, logger: Logger): void {
  for (const slot of slots) {
    const inst = slot.instance;
    if (inst)
      inst.runtime
        .stopContainer(inst.id, graceMs)
        .catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'stop failed'));
  }
}

/** Cancels the containers' pending restarts and stops their probes, so nothing of theirs starts again (terminate, evict, detach). */
export function quietContainers(slots: Iterable<ContainerSlot>): void {
  for (const slot of slots) {
    slot.cancelRetry();
    slot.stopProbes();
  }
}
