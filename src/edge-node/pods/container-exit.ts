/**
 * The end of a container instance and what follows it: the exit is recorded (`lastState` or
 * `state.terminated`), the restart policy decides, and the restart back-off (first restart at once,
 * then 10 s doubling to 5 min, reset after 10 min of running) puts the container in
 * `CrashLoopBackOff` meanwhile. Also the kill of an instance that failed its liveness/startup probe.
 */
import { errorMessage } from '../../api/index.js';
import type { ContainerRuntimeStatus } from '../../api/index.js';
import type { ContainerInstance, ContainerSlot } from './container-slot.js';
import { crashLoopState, restartWanted, terminatedState } from './lifecycle.js';
import type { WorkerContext } from './worker-context.js';

/** Exit code recorded for an instance killed by the agent (128 + SIGKILL, as Kubernetes shows it). */
export const KILLED_EXIT_CODE = 137;

/**
 * Records the end of the current instance, removes it, and decides on a restart. `restartNow`
 * (a changed spec) restarts at once, without back-off and whatever the policy.
 */
export async function recordExit(
  ctx: WorkerContext,
  slot: ContainerSlot,
  st: ContainerRuntimeStatus | undefined,
  opts: { restartNow?: boolean } = {},
): Promise<void> {
  const inst = slot.instance;
  if (!inst) return;
  const { clock, logger, backoff } = ctx.deps;
  const now = clock.now();
  const terminated = terminatedState(st, inst, now);
  slot.stopProbes();
  await inst.runtime
    .removeContainer(inst.id)
    .catch((err: unknown) => logger.warn({ err: errorMessage(err) }, 'remove failed'));
  slot.instance = undefined;
  slot.resetProbeState();
  const restart =
    opts.restartNow === true || restartWanted(ctx.pod().spec.restartPolicy ?? 'Always', terminated.exitCode);
  if (!restart || ctx.terminating()) {
    slot.state = { terminated };
    slot.finished = true;
    return;
  }
  slot.lastState = { terminated };
  if (opts.restartNow) return;
  if (inst.startedAtMs !== undefined && now - inst.startedAtMs >= backoff.resetAfterMs) slot.restartBackoff.reset();
  const delay = slot.restartBackoff.next();
  if (delay === 0) {
    slot.state = { terminated }; // restarted at once: reported as terminated until it runs again
  } else {
    slot.state = crashLoopState(delay, slot.spec.name, ctx.ref);
    ctx.event(
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${slot.spec.name} (${terminated.reason ?? 'exit'} ${terminated.exitCode})`,
    );
  }
  slot.scheduleRetry(delay, () => ctx.kick());
}

/**
 * Kills an instance whose liveness or startup probe failed, as the kubelet does: a `Killing` Event
 * saying why, not ready at once (traffic leaves before the stop), a stop with the probe's
 * `terminationGracePeriodSeconds` (else the pod's), then the exit is recorded as a failure — whatever
 * code the stop produced — so `OnFailure` restarts it too and the back-off applies.
 */
export async function killForProbe(
  ctx: WorkerContext,
  slot: ContainerSlot,
  inst: ContainerInstance,
  kill: { type: 'liveness' | 'startup'; message: string },
): Promise<void> {
  const why = `Container ${slot.spec.name} failed ${kill.type} probe`;
  const restarts = (ctx.pod().spec.restartPolicy ?? 'Always') !== 'Never';
  ctx.event('Normal', 'Killing', restarts ? `${why}, will be restarted` : why);
  slot.killing = true;
  slot.stopProbes();
  ctx.deps.onStatus();
  const probe = kill.type === 'liveness' ? slot.spec.livenessProbe : slot.spec.startupProbe;
  const graceMs =
    probe?.terminationGracePeriodSeconds !== undefined ? probe.terminationGracePeriodSeconds * 1000 : ctx.graceMs();
  await inst.runtime
    .stopContainer(inst.id, graceMs)
    .catch((err: unknown) => ctx.deps.logger.warn({ err: errorMessage(err) }, 'stop failed'));
  const st = inst.runtime.containerStatus(inst.id);
  const failed: ContainerRuntimeStatus = {
    id: inst.id,
    state: 'exited',
    exitCode: st?.exitCode !== undefined && st.exitCode !== 0 ? st.exitCode : KILLED_EXIT_CODE,
    reason: 'Error',
    message: `${why}: ${kill.message}`,
  };
  if (st?.finishedAt !== undefined) failed.finishedAt = st.finishedAt;
  await recordExit(ctx, slot, failed);
}
