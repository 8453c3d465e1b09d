/**
 * The hub's and the harness's load over one scenario: CPU and RSS from /proc, the hub's longest
 * event-loop block. Every fleet scenario measures its body through `withLoad`.
 */
import { probeNamespace } from '../manifests.js';
import type { FleetRun } from '../run.js';
import { ApiSampler, LoopSampler, ProcSampler, type LoopWindow, type ProcWindow } from '../samplers.js';

/** Hub load over a scenario. */
export interface LoadFigures {
  hub: ProcWindow;
  /** The harness process (it shares the machine's cores with the hub). */
  harness: ProcWindow;
  loop: LoopWindow;
}

/** Runs `body` with the hub, harness and event-loop samplers on; its result gains their `load`. */
export async function withLoad<T>(run: FleetRun, body: () => Promise<T>): Promise<T & { load: LoadFigures }> {
  const proc = new ProcSampler(() => run.hub.pid);
  const harness = new ProcSampler(() => run.harness.pid);
  const loop = new LoopSampler(() => run.http);
  proc.start();
  harness.start();
  loop.start();
  try {
    const result = await body();
    return { ...result, load: { hub: proc.stop(), harness: harness.stop(), loop: await loop.stop() } };
  } finally {
    proc.stop();
    harness.stop();
    await loop.stop();
  }
}

/** Creates the Namespace the API sampler's writes patch, unless an earlier scenario did. */
export async function ensureProbeNamespace(run: FleetRun): Promise<void> {
  const r = await run.http.call('POST', '/api/v1/namespaces', { body: probeNamespace() });
  if (r.status !== 201 && r.status !== 409)
    throw new Error(`POST /api/v1/namespaces: HTTP ${r.status}: ${r.body.slice(0, 300)}`);
}

/**
 * The API sampler a scenario runs while it works: a GET of `get` (the object it follows), a LIST of
 * `app`'s pods on the fleet's first node by label and field selector, and a patch of the probe Namespace.
 */
export function scenarioApiSampler(run: FleetRun, get: string, app: string): ApiSampler {
  const label = encodeURIComponent(`app=${app}`);
  const field = encodeURIComponent(`spec.nodeName=${run.prefix}-00000`);
  return new ApiSampler(() => run.http, {
    get,
    list: `/api/v1/namespaces/default/pods?labelSelector=${label}&fieldSelector=${field}`,
    patch: '/api/v1/namespaces/fleet-probe',
  });
}

/**
 * What a rollout-like scenario does first: the probe Namespace made, the node watch's flaps reset, and
 * the harness's tallies read to count from.
 */
export async function beginScenario(run: FleetRun): Promise<{ podsSeen: number; drops: number }> {
  await ensureProbeNamespace(run);
  const before = await run.harness.send({ cmd: 'stats' });
  run.watch.resetFlaps();
  return { podsSeen: before.tally.podsSeen, drops: before.tally.drops };
}

/** The NotReady flips and session drops since `begun` (from `beginScenario`). */
export async function scenarioFlaps(
  run: FleetRun,
  begun: { drops: number },
): Promise<{ flaps: number; drops: number }> {
  const after = await run.harness.send({ cmd: 'stats' });
  return { flaps: run.watch.flapCount, drops: after.tally.drops - begun.drops };
}
