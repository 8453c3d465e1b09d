/**
 * The rolling-update scenario: the fleet Deployment's pod template changed, followed until every pod is
 * of the new template and Ready and the old ones are gone, with how few were available on the way.
 */
import { FLEET_APP } from '../manifests.js';
import { waitFor, type FleetRun } from '../run.js';
import type { Percentiles } from '../samplers.js';
import { beginScenario, scenarioApiSampler, scenarioFlaps, withLoad, type LoadFigures } from './load.js';

/** What the rolling update took. */
export interface RolloutFigures {
  replicas: number;
  complete: boolean;
  /** The template's change → the Deployment reports all replicas updated, Ready, and no others. */
  doneMs: number;
  /** Pods replaced per second over that time. */
  replacedPerSec: number;
  /** The fewest available replicas the Deployment reported meanwhile (Kubernetes keeps ≥ 75% by default). */
  leastAvailable: number;
  api: { get: Percentiles; list: Percentiles; write: Percentiles; errors: number };
  flaps: number;
  drops: number;
  load: LoadFigures;
}

interface DeploymentState {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}

/** Changes the fleet Deployment's template (an annotation) and follows the rollout (or `timeoutMs`). */
export async function rollout(run: FleetRun, replicas: number, timeoutMs: number): Promise<RolloutFigures> {
  const before = await beginScenario(run);
  const path = `/apis/apps/v1/namespaces/default/deployments/${FLEET_APP}`;
  const api = scenarioApiSampler(run, path, FLEET_APP);
  const t0 = Date.now();
  const patched = await run.http.call('PATCH', path, {
    body: { spec: { template: { metadata: { annotations: { 'fleet.edgeplane.dev/rollout': String(t0) } } } } },
    contentType: 'application/merge-patch+json',
  });
  if (patched.status !== 200) throw new Error(`PATCH ${path}: HTTP ${patched.status}: ${patched.body.slice(0, 300)}`);
  const generation = (JSON.parse(patched.body) as DeploymentState).metadata.generation ?? 0;
  const r = await withLoad(run, async () => {
    api.start();
    let doneMs = 0;
    let leastAvailable = replicas;
    let s: NonNullable<DeploymentState['status']> = {};
    let lastLog = 0;
    await waitFor(
      `${replicas} pods of the new template Ready`,
      async () => {
        const d = await run.http.call('GET', path).catch(() => undefined);
        if (d?.status !== 200) return undefined;
        s = (JSON.parse(d.body) as DeploymentState).status ?? {};
        if ((s.observedGeneration ?? 0) >= generation)
          leastAvailable = Math.min(leastAvailable, s.availableReplicas ?? 0);
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          run.log(
            `  ${Math.round((Date.now() - t0) / 1000)} s: ${s.updatedReplicas ?? 0} updated, ${s.readyReplicas ?? 0} Ready, ${s.replicas ?? 0} in all, ${s.availableReplicas ?? 0} available`,
          );
        }
        const done =
          (s.observedGeneration ?? 0) >= generation &&
          s.updatedReplicas === replicas &&
          s.readyReplicas === replicas &&
          s.replicas === replicas;
        if (done) doneMs = Date.now() - t0;
        return done ? true : undefined;
      },
      timeoutMs,
      500,
    ).catch((err: unknown) =>
      run.log(
        `  ${err instanceof Error ? err.message : String(err)}: ${s.updatedReplicas ?? 0} updated, ${s.readyReplicas ?? 0} Ready`,
      ),
    );
    return {
      complete: doneMs > 0,
      doneMs,
      replacedPerSec: doneMs > 0 ? replicas / (doneMs / 1000) : 0,
      leastAvailable,
      api: await api.stop(),
    };
  });
  return { replicas, ...r, ...(await scenarioFlaps(run, before)) };
}
