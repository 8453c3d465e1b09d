/**
 * A pod worker taking back the container an earlier run of the agent left (issue 20: agent upgrades):
 * the same container id and restart count, its probes resumed. The worker's next step then treats it
 * as its own: an exit that came while no agent ran is recorded (and the restart policy applied), and
 * a spec that changed meanwhile replaces it.
 */
import { rfc3339 } from '../../api/index.js';
import type { Runtime } from '../../api/index.js';
import type { ContainerSlot } from './container-slot.js';
import { startProbes } from './container-start.js';
import type { WorkerContext } from './worker-context.js';

/** Looks once, before the slot's first start, for a container of an earlier run; true when one was taken. */
export function adoptInstance(ctx: WorkerContext, slot: ContainerSlot, runtime: Runtime): boolean {
  if (slot.instance || slot.starts > 0 || slot.adoptChecked) return false;
  slot.adoptChecked = true;
  const found = runtime.adopt?.(ctx.uid, slot.spec.name);
  if (!found) return false;
  const st = runtime.containerStatus(found.id);
  const startedAtMs = found.startedAt !== undefined ? Date.parse(found.startedAt) : ctx.deps.clock.now();
  const startedAt = rfc3339(startedAtMs);
  slot.instance = { id: found.id, runtime, hash: found.specHash, startedAtMs, startedAt };
  slot.lastContainerId = found.id;
  slot.starts = found.restartCount + 1;
  slot.resetProbeState();
  ctx.deps.logger.info(
    { pod: ctx.ref, container: slot.spec.name, id: found.id, state: st?.state },
    'took back the container of an earlier agent run',
  );
  if (st?.state !== 'running') return true;
  slot.state = { running: { startedAt } };
  startProbes(ctx, slot, runtime, found.id, startedAtMs);
  return true;
}
