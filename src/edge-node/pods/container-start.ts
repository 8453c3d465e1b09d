/**
 * Starting one instance of a container: pull its image (ErrImagePull, then ImagePullBackOff while
 * retrying), create it (CreateContainerError with the runtime's message), start it, and start its
 * probes. Failures back off on the slot's timers; nothing here blocks the pod worker for long.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CreateContainerError, errorMessage, rfc3339 } from '../../api/index.js';
import type { Container, Pod, Runtime } from '../../api/index.js';
import type { ProbeListener, ProbeType } from '../probes/index.js';
import { buildContainerConfig, newContainerId } from './container-config.js';
import { recordExit } from './container-exit.js';
import type { ContainerSlot } from './container-slot.js';
import { pullFailedState, raceAbort } from './lifecycle.js';
import type { ContainerConfigParts, WorkerContext } from './worker-context.js';

/** Pulls (when needed), creates and starts a new instance of `slot`'s container on `runtime`. */
export async function startInstance(ctx: WorkerContext, slot: ContainerSlot, runtime: Runtime): Promise<void> {
  if (!(await ensureImage(ctx, slot, runtime)) || ctx.terminating() || !slot.image) return;
  const { deps } = ctx;
  const id = newContainerId(ctx.uid, slot.spec.name);
  const pod = ctx.pod();
  const parts = await configParts(ctx, slot);
  if (!parts || ctx.terminating()) return;
  const nodeEnv = deps.serviceEnv ? await deps.serviceEnv(pod, runtime) : undefined;
  if (ctx.terminating()) return;
  const config = buildContainerConfig({
    id,
    pod,
    podRef: ctx.ref,
    container: slot.spec,
    image: slot.image,
    node: deps.node,
    dataDir: deps.dataDir,
    restartCount: slot.starts,
    ...(nodeEnv ? { nodeEnv } : {}),
    ...(parts !== true ? { parts } : {}),
  });
  // What a later agent adopts the container by (runtimes that keep containers across agent restarts).
  config.adoption = { specHash: slot.hash, restartCount: slot.starts };
  try {
    await mkdir(path.dirname(config.logPath), { recursive: true });
    await runtime.createContainer(config);
  } catch (err) {
    await runtime.removeContainer(id).catch(() => undefined);
    const delay = slot.restartBackoff.next();
    // A runtime may name the cause more precisely (e.g. WasmMemoryBudgetExceeded); it is the Event's reason too.
    const reason = err instanceof CreateContainerError ? err.waitingReason : 'CreateContainerError';
    slot.state = { waiting: { reason, message: errorMessage(err) } };
    ctx.event('Warning', reason === 'CreateContainerError' ? 'Failed' : reason, `Error: ${errorMessage(err)}`);
    deps.logger.warn({ pod: ctx.ref, container: slot.spec.name, err: errorMessage(err) }, 'create container failed');
    slot.scheduleRetry(delay, () => ctx.kick());
    return;
  }
  // Trace points of a pod's start (debug): bench/hpa.ts lines the stages of a cold start up with them.
  deps.logger.debug({ container: slot.spec.name }, 'container created');
  // Recorded before start so a termination arriving meanwhile finds (and stops) it.
  slot.instance = { id, runtime, hash: slot.hash };
  slot.lastContainerId = id;
  slot.resetProbeState();
  try {
    await runtime.startContainer(id);
  } catch (err) {
    slot.starts += 1;
    await recordExit(ctx, slot, {
      id,
      state: 'exited',
      exitCode: 128,
      reason: 'StartError',
      message: errorMessage(err),
    });
    return;
  }
  const now = deps.clock.now();
  slot.instance.startedAtMs = now;
  slot.instance.startedAt = rfc3339(now);
  slot.starts += 1;
  slot.state = { running: { startedAt: slot.instance.startedAt } };
  deps.logger.debug({ container: slot.spec.name }, 'container started');
  ctx.event('Normal', 'Started', `Started container ${slot.spec.name}`);
  startProbes(ctx, slot, runtime, id, now);
}

/** Starts the probes of instance `id` (started at `startedAtMs`) of `slot`. */
export function startProbes(
  ctx: WorkerContext,
  slot: ContainerSlot,
  runtime: Runtime,
  id: string,
  startedAtMs: number,
): void {
  slot.probes = ctx.deps.probes.add(
    {
      runtime,
      containerId: id,
      container: slot.spec,
      podIP: ctx.deps.node.hostIP,
      startedAtMs,
      label: `${ctx.ref.namespace}/${ctx.ref.name}/${slot.spec.name}`,
    },
    probeListener(ctx, slot, id),
  );
}

/** Whether the container refers to ConfigMaps, Secrets or volumes. */
function usesConfig(pod: Pod, c: Container): boolean {
  return (
    (c.envFrom?.length ?? 0) > 0 ||
    (c.volumeMounts?.length ?? 0) > 0 ||
    (pod.spec.volumes?.length ?? 0) > 0 ||
    (c.env ?? []).some((e) => e.valueFrom?.configMapKeyRef !== undefined || e.valueFrom?.secretKeyRef !== undefined)
  );
}

/**
 * The container's config parts (true when it uses none), or undefined when a reference is missing:
 * the container then waits in `CreateContainerConfigError` — no back-off timer: the worker is kicked
 * when a ConfigMap or Secret it uses arrives or changes (level-triggered).
 */
async function configParts(
  ctx: WorkerContext,
  slot: ContainerSlot,
): Promise<Exclude<ContainerConfigParts, { missing: string }> | true | undefined> {
  const pod = ctx.pod();
  if (!usesConfig(pod, slot.spec)) return true;
  let parts: ContainerConfigParts;
  try {
    parts = ctx.deps.config
      ? await ctx.deps.config.prepareContainer(pod, slot.spec)
      : { missing: 'this node does not serve ConfigMaps, Secrets or volumes' };
  } catch (err) {
    parts = { missing: errorMessage(err) };
  }
  if ('missing' in parts) {
    slot.state = { waiting: { reason: 'CreateContainerConfigError', message: parts.missing } };
    if (slot.configWait !== parts.missing) ctx.event('Warning', 'Failed', `Error: ${parts.missing}`);
    slot.configWait = parts.missing;
    return undefined;
  }
  slot.configWait = undefined;
  for (const w of parts.warnings) ctx.event('Warning', 'InvalidEnvironmentVariableNames', w);
  return parts;
}

/** Pulls the slot's image unless it is already there; false when the pull failed (retry scheduled). */
async function ensureImage(ctx: WorkerContext, slot: ContainerSlot, runtime: Runtime): Promise<boolean> {
  if (slot.image && slot.imageRef === slot.spec.image) return true;
  const { deps } = ctx;
  if (slot.pullFailures === 0) slot.state = { waiting: { reason: 'ContainerCreating' } };
  try {
    const pullStart = deps.clock.now();
    const pull = deps.config?.pullSecrets(ctx.pod());
    if (pull?.warning !== undefined) ctx.event('Warning', 'FailedToRetrieveImagePullSecret', pull.warning);
    const opts =
      pull && pull.secrets.length > 0 ? { signal: ctx.signal, pullSecrets: pull.secrets } : { signal: ctx.signal };
    slot.image = await raceAbort(runtime.pullImage(slot.spec.image, opts), ctx.signal);
    slot.imageRef = slot.spec.image;
    ctx.event('Normal', 'Pulled', `Container image "${slot.spec.image}" ready in ${deps.clock.now() - pullStart}ms`);
    slot.pullFailures = 0;
    slot.pullBackoff.reset();
  } catch (err) {
    if (ctx.terminating()) return false;
    slot.pullFailures += 1;
    const delay = slot.pullBackoff.next();
    const msg = errorMessage(err);
    slot.state = pullFailedState(slot.pullFailures, delay, slot.spec.image, msg);
    ctx.event('Warning', 'Failed', `Failed to pull image "${slot.spec.image}": ${msg}`);
    deps.logger.warn(
      { pod: ctx.ref, container: slot.spec.name, image: slot.spec.image, err: msg },
      'image pull failed',
    );
    slot.scheduleRetry(delay, () => ctx.kick());
    return false;
  }
  deps.onStatus();
  return true;
}

const PROBE_NAMES: Record<ProbeType, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

/** Probe results of instance `id` applied to its slot; results about an older instance are ignored. */
function probeListener(ctx: WorkerContext, slot: ContainerSlot, id: string): ProbeListener {
  const current = (): boolean => slot.instance?.id === id && !ctx.terminating();
  return {
    readiness(ready) {
      if (!current() || slot.readiness === ready) return;
      slot.readiness = ready;
      ctx.deps.onStatus();
    },
    started() {
      if (!current()) return;
      slot.startupPassed = true;
      ctx.deps.onStatus();
    },
    failed(type, message) {
      if (!current()) return;
      slot.probeKill = { containerId: id, type, message };
      ctx.kick();
    },
    unhealthy(type, message) {
      if (current()) ctx.event('Warning', 'Unhealthy', `${PROBE_NAMES[type]} probe failed: ${message}`);
    },
  };
}
