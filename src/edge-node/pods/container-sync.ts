/**
 * One pass of a pod worker over one container: a probe's kill is carried out, a changed definition
 * (spec hash or runtime) restarts the container, an exit is recorded, and a container that should run
 * and may (not finished, not in back-off, pod not terminating) is started.
 */
import type { Runtime } from '../../api/index.js';
import { adoptInstance } from './container-adopt.js';
import { killForProbe, recordExit } from './container-exit.js';
import type { ContainerSlot } from './container-slot.js';
import { startInstance } from './container-start.js';
import type { WorkerContext } from './worker-context.js';

/**
 * Brings `slot` towards its desired state on `runtime`. Returns true when the container it started
 * has exited already (its event came while this awaited), so the worker looks again.
 */
export async function syncContainer(ctx: WorkerContext, slot: ContainerSlot, runtime: Runtime): Promise<boolean> {
  adoptInstance(ctx, slot, runtime);
  const inst = slot.instance;
  if (inst) {
    const st = inst.runtime.containerStatus(inst.id);
    if (st?.state === 'running' || st?.state === 'created') {
      const kill = slot.probeKill?.containerId === inst.id ? slot.probeKill : undefined;
      if (kill) {
        await killForProbe(ctx, slot, inst, kill);
      } else if (inst.hash === slot.hash && inst.runtime === runtime) {
        return false;
      } else {
        ctx.deps.logger.info({ pod: ctx.ref, container: slot.spec.name }, 'container definition changed, restarting');
        await inst.runtime.stopContainer(inst.id, ctx.graceMs()).catch(() => undefined);
        await recordExit(ctx, slot, inst.runtime.containerStatus(inst.id), { restartNow: true });
      }
    } else {
      await recordExit(ctx, slot, st);
    }
  }
  if (slot.finished || slot.inBackoff || ctx.terminating()) return false;
  await startInstance(ctx, slot, runtime);
  const started = slot.instance;
  return started !== undefined && started.runtime.containerStatus(started.id)?.state === 'exited';
}
